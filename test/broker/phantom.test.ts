// Phantom tokens end to end: the real hook rewrites a `$secret:` call for a secret whose policy
// names `inject`; the brokered child gets a placeholder plus proxy and CA settings; the broker's
// proxy swaps in the value only for the named hosts, masks it in responses (error bodies and
// compressed bodies included) and audits each injection. Real clients against local HTTPS
// servers on loopback: curl, git (clone, fetch and push through git http-backend), Node (undici's
// EnvHttpProxyAgent on this Node; NODE_USE_ENV_PROXY on Node 22.21+), Python requests.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  bashAsync,
  fakeSecret,
  preToolUse,
  project,
  readAudit,
  ROOT,
  run,
  sandbox,
  setSecret,
  type Sandbox,
} from "./helpers.js";
import {
  encodings,
  makePki,
  pythonWithRequests,
  startApi,
  startGit,
  type Upstream,
} from "./phantom-helpers.js";
import { HOOKPACK_CJS } from "../helpers/sandbox.js";

let sb: Sandbox;
let dir: string;
let api: Upstream;
let git: Upstream & { repo: string };
const values: Record<string, string> = {};

beforeAll(async () => {
  assertBuilt();
  sb = sandbox({
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
  });
  const pki = makePki(join(sb.dir, "pki"));
  sb.env.HOOKPACK_BROKER_UPSTREAM_CA = pki.caFile;
  api = await startApi(pki);
  for (const name of ["API", "QTOK", "GITTOK", "PLAIN", "REVK"]) {
    values[name] = fakeSecret(name.toLowerCase());
    setSecret(sb, name, values[name]!);
  }
  git = await startGit(pki, sb.dir, "x-access-token", () => values.GITTOK!);
  dir = project(sb, {
    version: 1,
    defaults: { approval: "auto" },
    secrets: {
      API: { inject: { hosts: [`localhost:${api.port}`] } },
      QTOK: { inject: { hosts: [`localhost:${api.port}`], query: "access_token" } },
      GITTOK: {
        inject: { hosts: [`localhost:${git.port}`], basic: { username: "x-access-token" } },
      },
      PLAIN: {},
      REVK: { inject: { hosts: [`localhost:${api.port}`] } },
    },
  });
});
afterAll(async () => {
  run(sb, ["broker", "stop"]);
  await api?.close();
  await git?.close();
  sb?.cleanup();
});

/** Hook, then the rewritten command as the agent's Bash tool runs it. */
async function brokered(command: string, env: NodeJS.ProcessEnv = {}) {
  const hook = preToolUse(sb, dir, command, {
    toolUseId: `toolu_${Math.random().toString(36).slice(2)}`,
  });
  if (!hook.command) throw new Error(`not rewritten: ${hook.reason}`);
  const r = await bashAsync(sb, hook.command, dir, { NODE_NO_WARNINGS: "1", ...env });
  return { ...r, rewritten: hook.command };
}
const noValue = (text: string) =>
  encodings(values.API!)
    .concat(encodings(values.QTOK!), encodings(values.GITTOK!))
    .every((e) => !text.includes(e));
const last = <T>(xs: T[]) => xs[xs.length - 1]!;

describe("phantom tokens through the broker's proxy (real clients)", () => {
  it("curl: the upstream gets Bearer <value>, the child's output shows it masked, the audit log records it", async () => {
    const r = await brokered(`curl -sS -H "Authorization: Bearer $secret:API" ${api.url}/echo`);
    expect(r.stderr).toBe("");
    expect(last(api.seen).headers.authorization).toBe(`Bearer ${values.API}`);
    expect(r.stdout).toMatch(/"authorization":"Bearer [^"]+"/);
    expect(noValue(r.stdout)).toBe(true);
    expect(r.rewritten).not.toContain(values.API);
    const inj = readAudit(sb).filter((e) => e.kind === "inject");
    expect(last(inj)).toMatchObject({
      kind: "inject",
      secret: "API",
      host: `localhost:${api.port}`,
      method: "GET",
      path: "/echo",
      status: 200,
    });
    expect(noValue(JSON.stringify(readAudit(sb)))).toBe(true);
  });

  it("curl: error bodies and headers that echo the value are masked; a gzip answer too", async () => {
    const r = await brokered(
      `curl -sS -D - -H "Authorization: Bearer $secret:API" ${api.url}/fail; curl -sS --compressed -H "Authorization: Bearer $secret:API" ${api.url}/gzip`,
    );
    expect(r.stdout).toMatch(/^HTTP\/1\.1 401/m);
    expect(r.stdout).toMatch(/unauthorized: the token Bearer \S+ is not valid here/);
    expect(r.stdout).toMatch(/"url":"\/gzip"/);
    expect(api.seen.slice(-2).map((s) => s.headers.authorization)).toEqual([
      `Bearer ${values.API}`,
      `Bearer ${values.API}`,
    ]);
    expect(noValue(r.stdout)).toBe(true);
  });

  it("a query parameter: the placeholder's parameter is replaced by the policy's, with the value", async () => {
    const r = await brokered(`curl -sS "${api.url}/echo?page=2&access_token=$secret:QTOK"`);
    const url = new URL(last(api.seen).url, "https://x");
    expect(url.searchParams.get("access_token")).toBe(values.QTOK);
    expect(url.searchParams.get("page")).toBe("2");
    expect(noValue(r.stdout)).toBe(true);
  });

  it("git over HTTPS: clone, commit, push and fetch with basic auth injected; the repository gets the push", async () => {
    const url = `https://x-access-token:$secret:GITTOK@localhost:${git.port}/repo.git`;
    // One-process delivery: each git that names the reference gets its own grant and placeholder (a
    // remote URL saved by the clone holds a placeholder that dies with it), so push and fetch name it.
    const cloned = await brokered(`git clone -q ${url} clone`);
    expect(cloned.stderr).not.toMatch(/fatal|error/i);
    expect(existsSync(join(dir, "clone", ".git"))).toBe(true);
    spawnSync(
      "bash",
      [
        "-c",
        'git config user.name t && git config user.email t@example.com && echo pushed > f && git add f && git commit -qm "from the agent"',
      ],
      { cwd: join(dir, "clone"), encoding: "utf8" },
    );
    // From the project (the policy in force is its repository root's; the clone is a repository of its own).
    const hook = preToolUse(
      sb,
      dir,
      `git -C clone push -q ${url} HEAD:main && git -C clone fetch -q ${url} main && git -C clone log --oneline -1 FETCH_HEAD`,
      { toolUseId: "toolu_gitpush" },
    );
    if (!hook.command) throw new Error(`not rewritten: ${hook.reason}`);
    const r = await bashAsync(sb, hook.command, dir, { NODE_NO_WARNINGS: "1" });
    expect(r.stderr, hook.command).not.toMatch(/fatal|error/i);
    expect(r.stdout).toMatch(/from the agent/);
    const log = spawnSync("git", ["--git-dir", git.repo, "log", "--oneline", "-1", "main"], {
      encoding: "utf8",
    });
    expect(log.stdout).toMatch(/from the agent/);
    const authed = git.seen.filter((s) => s.headers.authorization);
    expect(authed.length).toBeGreaterThan(2);
    for (const s of authed)
      expect(Buffer.from(String(s.headers.authorization).slice(6), "base64").toString()).toBe(
        `x-access-token:${values.GITTOK}`,
      );
    expect(git.seen.some((s) => s.url.includes("git-receive-pack"))).toBe(true);
    expect(noValue(`${r.stdout}${r.stderr}`)).toBe(true);
  });

  it("Node: undici's EnvHttpProxyAgent on this Node", async () => {
    const undici = join(ROOT, "node_modules", "undici");
    const script = `const {fetch,EnvHttpProxyAgent}=require(${JSON.stringify(undici)});fetch(process.argv[1]+"/echo",{headers:{authorization:["Bearer",process.argv[2]].join(" ")},dispatcher:new EnvHttpProxyAgent()}).then(r=>r.text()).then(t=>console.log(t))`;
    // A script file: inline code that computes names is refused by the read guard, which now sees the
    // receiving program's own words (issue 14: no brokered `bash -c` hides them).
    writeFileSync(
      join(sb.dir, "undici.js"),
      script
        .replace("process.argv[2]", "process.argv[3]")
        .replace("process.argv[1]", "process.argv[2]"),
    );
    const r = await brokered(`node ${join(sb.dir, "undici.js")} ${api.url} "$secret:API"`);
    expect(r.stderr).toBe("");
    expect(last(api.seen).headers.authorization).toBe(`Bearer ${values.API}`);
    expect(r.stdout).toMatch(/"authorization":"Bearer /);
    expect(noValue(r.stdout)).toBe(true);
  });

  const node22 = join(
    ROOT,
    ".cache",
    "e2e",
    "node22",
    "node_modules",
    `node-linux-${process.arch}`,
    "bin",
    "node",
  );
  it.skipIf(!existsSync(node22))(
    "Node 22 built-in fetch with NODE_USE_ENV_PROXY=1 (skipped without .cache/e2e/node22: node scripts/setup-e2e.mjs)",
    async () => {
      const script = `fetch(process.argv[1]+"/echo",{headers:{authorization:["Bearer",process.argv[2]].join(" ")}}).then(r=>r.text()).then(t=>console.log(t))`;
      writeFileSync(
        join(sb.dir, "fetch22.js"),
        script
          .replace("process.argv[2]", "process.argv[3]")
          .replace("process.argv[1]", "process.argv[2]"),
      );
      const r = await brokered(`${node22} ${join(sb.dir, "fetch22.js")} ${api.url} "$secret:API"`);
      expect(r.stderr).toBe("");
      expect(last(api.seen).headers.authorization).toBe(`Bearer ${values.API}`);
      expect(noValue(r.stdout)).toBe(true);
    },
  );

  const py = pythonWithRequests();
  it.skipIf(!py.python)(`Python requests${py.why ? ` (skipped: ${py.why})` : ""}`, async () => {
    writeFileSync(
      join(sb.dir, "req.py"),
      'import requests,sys\nr=requests.get(sys.argv[1]+"/fail",headers={"Authorization":"Bearer "+sys.argv[2]})\nprint(r.status_code, r.text)\n',
    );
    const r = await brokered(`${py.python} ${join(sb.dir, "req.py")} ${api.url} "$secret:API"`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^401 unauthorized: the token Bearer \S+ is not valid here/);
    expect(last(api.seen).headers.authorization).toBe(`Bearer ${values.API}`);
    expect(noValue(r.stdout)).toBe(true);
  });

  it("`hookpack revoke` ends a running injection session: the next request of the same run carries only the placeholder", async () => {
    const marker = join(sb.dir, "first-done");
    // One program (bash) holds the placeholder for the whole run and makes both requests.
    const running = brokered(
      `R=$secret:REVK bash -c 'curl -sS -o /dev/null -H "Authorization: Bearer $R" ${api.url}/echo; touch ${marker}; sleep 2; curl -sS -o /dev/null -H "Authorization: Bearer $R" ${api.url}/echo'`,
    );
    const started = Date.now();
    while (!existsSync(marker) && Date.now() - started < 20_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(last(api.seen).headers.authorization).toBe(`Bearer ${values.REVK}`);
    const revoked = spawnSync(process.execPath, [HOOKPACK_CJS, "revoke", "REVK", "--json"], {
      env: sb.env,
      encoding: "utf8",
    });
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(
      (JSON.parse(revoked.stdout) as { grants: { invalidated: number } }).grants.invalidated,
    ).toBe(1);
    await running;
    expect(String(last(api.seen).headers.authorization)).toMatch(/^Bearer hookpack_phantom_\w+$/);
  });

  it("a secret without `inject` keeps the plain delivery (the value in the receiving program, no proxy)", async () => {
    const r = await brokered(
      `P=$secret:PLAIN bash -c 'printf %s "$P" | wc -c; printenv HTTPS_PROXY || echo no-proxy'`,
    );
    expect(r.stdout.trim().split("\n")).toEqual([String(values.PLAIN!.length), "no-proxy"]);
  });
});
