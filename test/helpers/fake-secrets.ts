// Token-shaped fakes, assembled at run time from fragments so that no token-shaped string is ever
// committed (our own pre-push scan and GitHub push protection stay quiet on this repository).
// A seeded generator keeps every run identical.

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rand: () => number, alphabet: string, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
}

const j = (...parts: string[]) => parts.join("");

/** One fake per provider the preset detects; `seed` varies the bodies. */
export function fakeTokens(seed = 1) {
  const r = seeded(seed);
  return {
    github: j("gh", "p_", pick(r, ALNUM, 36)),
    githubFineGrained: j("github", "_pat_", pick(r, ALNUM, 22), "_", pick(r, ALNUM, 59)),
    awsAccessKeyId: j("AK", "IA", pick(r, UPPER32, 16)),
    awsSecretAccessKey: pick(r, ALNUM, 40),
    npm: j("np", "m_", pick(r, ALNUM, 36)),
    slackBot: j("xo", "xb-", String(1000000000 + Math.floor(r() * 8e9)), "-", String(1000000000 + Math.floor(r() * 8e9)), "-", pick(r, ALNUM, 24)),
    slackApp: j("xa", "pp-1-", pick(r, ALNUM, 11), "-", pick(r, ALNUM, 13), "-", pick(r, ALNUM, 30)),
    openai: j("sk", "-proj-", pick(r, ALNUM, 74), "T3Blbk", "FJ", pick(r, ALNUM, 74)),
    anthropic: j("sk", "-ant-", "api03-", pick(r, ALNUM, 93), "AA"),
    gitlab: j("gl", "pat-", pick(r, ALNUM, 20)),
    stripe: j("sk", "_live_", pick(r, ALNUM, 24)),
    groq: j("gs", "k_", pick(r, ALNUM, 52)),
    huggingface: j("h", "f_", pick(r, ALPHA, 34)),
    linear: j("lin", "_api_", pick(r, ALNUM, 40)),
    shopify: j("shp", "at_", pick(r, "0123456789abcdef", 32)),
    docker: j("dck", "r_pat_", pick(r, ALNUM, 27)),
    figma: j("fig", "d_", pick(r, ALNUM, 40)),
    sendgrid: j("S", "G.", pick(r, ALNUM, 22), ".", pick(r, ALNUM, 43)),
    postgresUrl: j("postgres", "://admin:", pick(r, ALNUM, 16), "@db.internal.example:5432/app"),
    privateKey: [
      j("-----BEGIN ", "RSA PRIVATE", " KEY-----"),
      // The preset checks the DER magic ("MI…") so placeholders in docs do not count.
      ...Array.from({ length: 8 }, (_, i) => (i === 0 ? j("MII", "E", pick(r, ALNUM, 60)) : pick(r, ALNUM, 64))),
      j("-----END ", "RSA PRIVATE", " KEY-----"),
    ].join("\n"),
  };
}

export type FakeTokens = ReturnType<typeof fakeTokens>;

/** Replaces {{FAKE_NAME}} placeholders (NAME as in fakeTokens, upper snake case) in fixture text. */
export function expandFakes(text: string, tokens: FakeTokens = fakeTokens(), escapeForJson = false): string {
  return text.replace(/\{\{FAKE_([A-Z_]+)\}\}/g, (_, name: string) => {
    const key = name.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof FakeTokens;
    const value = tokens[key];
    if (value === undefined) throw new Error(`unknown fake token placeholder {{FAKE_${name}}}`);
    return escapeForJson ? JSON.stringify(value).slice(1, -1) : value;
  });
}
