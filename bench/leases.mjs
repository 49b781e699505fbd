// Lease benchmark: what a capability ($cap:NAME) adds to one brokered call — mint at start,
// revoke + verify at exit — per provider, against its local endpoint. Vault: the API fake
// (test/helpers/fake-vault.ts) whose database engine creates and drops a real PostgreSQL role;
// GitHub App: the contract fake (RS256 App JWT); OAuth token exchange: oidc-provider; AWS STS:
// moto 5.2.4's server with IAM auth on (AssumeRole; revoke = GetRolePolicy + PutRolePolicy +
// read-back of the per-session deny; verify = GetRolePolicy + a probe call that must be denied).
// Interleaved rounds of `hookpack exec --grant … --grant-key … --cap … -- true` (as rewritten by the
// real hook) against plain `hookpack exec -- true`. Plain node; needs `npm run build` first and the
// PostgreSQL server binaries (test/broker/postgres-deps.sh) and, for the STS row, moto
// (test/broker/moto-deps.sh). Prints figures, asserts nothing.
//   node bench/leases.mjs [--rounds 15]
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const i = process.argv.indexOf("--rounds");
const ROUNDS = i === -1 ? 15 : Number(process.argv[i + 1]);
delete process.env.NODE_EXTRA_CA_CERTS;
const BIN = join(root, "dist", "hookpack.cjs");
const tmp = mkdtempSync(join(tmpdir(), "hookpack-bench-leases-"));

// Inside node_modules so that the external oidc-provider resolves from the project.
const modDir = join(root, "node_modules", ".cache", `hookpack-bench-${process.pid}`);
mkdirSync(modDir, { recursive: true });
const modFile = join(modDir, "world.mjs");
await build({
  stdin: {
    contents: `export * from "./test/helpers/postgres.ts"; export * from "./test/helpers/fake-vault.ts"; export * from "./test/helpers/fake-github.ts"; export * from "./test/helpers/oauth-server.ts"; export * from "./test/helpers/moto.ts"; export { approvePolicy } from "./broker/policy-approval.ts";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: modFile,
  logLevel: "error",
  external: ["oidc-provider"],
});
process.env.HOOKPACK_REPO_ROOT = root; // where test/helpers/moto.ts finds .cache/moto
const {
  startPostgres,
  postgresBin,
  startFakeVault,
  startFakeGithub,
  startOAuth,
  startMoto,
  approvePolicy,
  motoMissing,
} = await import(pathToFileURL(modFile).href);
rmSync(modDir, { recursive: true, force: true });
if ("missing" in postgresBin()) {
  console.log(`bench/leases: skipped: ${postgresBin().missing}`);
  process.exit(0);
}

const pg = await startPostgres();
// Time spent in PostgreSQL (the fake runs psql for CREATE ROLE and for terminate + DROP ROLE).
let sqlMs = 0;
const rawSql = pg.sql.bind(pg);
pg.sql = (q, db) => {
  const t = process.hrtime.bigint();
  try {
    return rawSql(q, db);
  } finally {
    sqlMs += Number(process.hrtime.bigint() - t) / 1e6;
  }
};
const rootToken = `hvs.bench${Date.now()}`;
const vault = await startFakeVault({
  postgres: pg,
  rootToken,
  dbRoles: {
    readonly: { grants: ['GRANT pg_read_all_data TO "{{name}}"'], defaultTtlSeconds: 600 },
  },
});
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const gh = await startFakeGithub({
  appId: "42",
  publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  installationId: 7,
  owner: "acme",
  repositories: ["app"],
  permissions: { contents: "read" },
});
const as = await startOAuth();
const noMoto = motoMissing();
const moto = noMoto ? undefined : await startMoto();
const stsRole = moto
  ? await moto.createRole("bench", ["iam:ListRoles"], [])
  : "arn:aws:iam::123456789012:role/none";
const env = {
  PATH: process.env.PATH,
  HOME: join(tmp, "home"),
  HOOKPACK_HOME: join(tmp, "hp"),
  HOOKPACK_KEY_BACKEND: "file",
  LANG: "C.UTF-8",
};
const proj = join(tmp, "proj");
mkdirSync(join(proj, ".git"), { recursive: true });
const setSecret = (name, value) =>
  spawnSync(process.execPath, [BIN, "secret", "set", name], { env, input: value });
setSecret("VAULT_TOKEN", rootToken);
setSecret("GH_APP_KEY", privateKey.export({ type: "pkcs8", format: "pem" }).toString());
setSecret("OAUTH_CLIENT_SECRET", as.broker.secret);
setSecret("USER_TOKEN", await as.userToken());
if (moto) {
  setSecret("AWS_BASE_KEY_ID", moto.admin.accessKeyId);
  setSecret("AWS_BASE_SECRET", moto.admin.secretAccessKey);
}
writeFileSync(
  join(proj, "hookpack.json"),
  JSON.stringify({
    version: 1,
    secrets: {},
    capabilities: {
      "bench-db": {
        provider: {
          vault: {
            address: vault.address,
            auth: { token: { secret: "VAULT_TOKEN" } },
            path: "database/creds/readonly",
          },
        },
        commands: ["true"],
        approval: "auto",
        env: { PGUSER: "username", PGPASSWORD: "password" },
      },
      "bench-gh": {
        provider: {
          github: {
            api: gh.api,
            appId: 42,
            installationId: 7,
            privateKey: { secret: "GH_APP_KEY" },
            repositories: ["app"],
            permissions: { contents: "read" },
          },
        },
        commands: ["true"],
        approval: "auto",
        env: { GH_TOKEN: "token" },
      },
      "bench-oauth": {
        provider: {
          oauth: {
            tokenEndpoint: as.token,
            revocationEndpoint: as.revocation,
            introspectionEndpoint: as.introspection,
            clientId: as.broker.id,
            clientSecret: { secret: "OAUTH_CLIENT_SECRET" },
            subjectToken: { secret: "USER_TOKEN" },
            scope: "repo:read",
          },
        },
        commands: ["true"],
        approval: "auto",
        env: { API_TOKEN: "access_token" },
      },
      "bench-sts": {
        provider: {
          sts: {
            roleArn: stsRole,
            endpoint: moto?.endpoint ?? "http://127.0.0.1:9",
            credentials: {
              accessKeyId: { secret: "AWS_BASE_KEY_ID" },
              secretAccessKey: { secret: "AWS_BASE_SECRET" },
            },
            actions: ["iam:ListRoles"],
            probe: { action: "iam:ListRoles" },
          },
        },
        commands: ["true"],
        approval: "auto",
        env: {
          AWS_ACCESS_KEY_ID: "accessKeyId",
          AWS_SECRET_ACCESS_KEY: "secretAccessKey",
          AWS_SESSION_TOKEN: "sessionToken",
        },
      },
    },
  }),
);

// As the user would in their terminal: an unapproved hookpack.json does not apply (issue 14).
approvePolicy(env.HOOKPACK_HOME, proj);

const runAsync = (argv) =>
  new Promise((res) => {
    const t = process.hrtime.bigint();
    const c = spawn(argv[0], argv.slice(1), {
      env,
      cwd: proj,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    c.stderr.on("data", (b) => (err += b));
    c.on("close", (code) => res({ ms: Number(process.hrtime.bigint() - t) / 1e6, code, err }));
  });
const rewrite = (cap) => {
  const payload = JSON.stringify({
    session_id: "bench",
    transcript_path: "/tmp/t",
    cwd: proj,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: `$cap:${cap} true` },
    tool_use_id: `toolu_${Math.random()}`,
  });
  const r = spawnSync(process.execPath, [BIN, "hook", "claude-code"], {
    env,
    cwd: proj,
    input: payload,
    encoding: "utf8",
  });
  const out = JSON.parse(r.stdout).hookSpecificOutput;
  if (!out?.updatedInput) throw new Error(`the hook did not rewrite $cap:${cap}: ${r.stdout}`);
  return out.updatedInput.command;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const CAPS = {
  "bench-db": "vault (API fake) → real PostgreSQL role",
  "bench-gh": "GitHub App installation token (contract fake)",
  "bench-oauth": "OAuth token exchange (oidc-provider)",
  ...(moto
    ? { "bench-sts": "AWS STS AssumeRole + deny on the role (moto 5.2.4, IAM auth on)" }
    : {}),
};
const times = Object.fromEntries(Object.keys(CAPS).map((c) => [c, []]));
const plain = [];
try {
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const c of Object.keys(CAPS)) {
      const a = await runAsync(["bash", "-c", rewrite(c)]);
      if (a.code !== 0) throw new Error(`bench run of ${c} failed: ${a.err}`);
      if (r >= 2) times[c].push(a.ms); // two warm-up rounds
    }
    const b = await runAsync([process.execPath, BIN, "exec", "--", "true"]);
    if (b.code !== 0) throw new Error(`bench run failed: ${b.err}`);
    if (r === 1) sqlMs = 0;
    if (r >= 2) plain.push(b.ms);
  }
  const revokes = vault.requests.filter((q) => q.path === "sys/leases/revoke").length;
  console.log(
    `\nlease overhead per call (${ROUNDS} interleaved rounds, Node ${process.versions.node}; ${revokes} leases minted and revoked)`,
  );
  console.log(
    `| provider | exec with capability p50 | plain exec p50 | mint + revoke + verify p50 |`,
  );
  console.log(`| --- | --- | --- | --- |`);
  for (const [c, label] of Object.entries(CAPS))
    console.log(
      `| ${label} | ${median(times[c]).toFixed(1)} ms | ${median(plain).toFixed(1)} ms | ${(median(times[c]) - median(plain)).toFixed(1)} ms |`,
    );
  console.log(
    `of which PostgreSQL work in the fake (a psql process for CREATE ROLE, one for terminate + DROP ROLE): ${(sqlMs / ROUNDS).toFixed(1)} ms per call on average.`,
  );
  if (noMoto) console.log(`AWS STS: skipped: ${noMoto}.`);
} finally {
  await vault.close();
  await gh.close();
  await as.close();
  moto?.stop();
  pg.stop();
  rmSync(tmp, { recursive: true, force: true });
}
