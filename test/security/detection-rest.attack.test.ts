// The agent against detection, the rest of issue 17: tokens hidden by string concatenation (must be
// denied), concatenation with an expression that holds no value (must run, and a rewritten command
// must keep it unmasked), GitLab routable / GitHub fine-grained / Azure storage keys with valid vs
// broken checks, and placeholders. Every attempt runs through the REAL hook process
// (dist/hookpack.cjs hook claude-code); tokens are generated at test time.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findHidden, RULES } from "../../rules/detect.js";
import { PREFILTER_REST_SOURCE } from "../../rules/detectors/prefilter.generated.js";
import { gitlabRoutableChecksum, validate } from "../../rules/detectors/validators.js";
import { fakeFor } from "../helpers/fake-secrets.js";
import { bashCall, runHook } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

let box: Sandbox;
beforeAll(() => {
  box = sandbox();
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: box.project,
    env: { ...process.env, ...box.env },
  });
});
afterAll(() => box.cleanup());

const rule = (id: string) => RULES.find((r) => r.id === id)!;
const gh = fakeFor(rule("github-pat"), 9001);
const fine = fakeFor(rule("github-fine-grained-pat"), 9001);
const routable = fakeFor(rule("gitlab-pat-routable"), 9001);
const azureKey = fakeFor(rule("azure-storage-connection-string"), 9001);
const ant = fakeFor(rule("anthropic-api-key"), 9001);
const entra = fakeFor(rule("azure-ad-client-secret"), 9001);
// Same shape, a version digit Microsoft does not issue (5) with a version-8 length.
const entraWrongVersion = `${entra.slice(0, 3)}5${entra.slice(4)}`;

/** One character changed inside the part a check covers (the result still has the token's shape). */
function mutate(token: string, at: number): string {
  const c = token[at]!;
  return token.slice(0, at) + (c === "A" ? "B" : "A") + token.slice(at + 1);
}
const brokenRoutable = mutate(routable, 10);
const brokenAzure = `${azureKey.slice(0, -3)}${"AQgw".includes(azureKey.at(-3)!) ? "B" : azureKey.at(-3)}==`;

interface Attempt {
  family: string;
  name: string;
  command: string;
  token?: string;
  expect: "denied" | "allowed";
}

// A long path makes the input look like it may hide something (the engine's hidden readings run).
const LIB = "/home/dev/project/node_modules/undici/index.js";
const ATTEMPTS: Attempt[] = [
  // Hiding a real token in string concatenation: glued and found.
  {
    family: "concatenation hides a token",
    name: '"Bearer " + "<token>"',
    command: `node -e 'fetch(u,{headers:{authorization:"Bearer " + "${ant}"}})'`,
    token: ant,
    expect: "denied",
  },
  {
    family: "concatenation hides a token",
    name: "token split in three string parts",
    command: `python3 -c 'h={"Authorization": "token " + "${gh.slice(0, 9)}" + "${gh.slice(9, 25)}" + "${gh.slice(25)}"}'`,
    token: gh,
    expect: "denied",
  },
  {
    family: "concatenation hides a token",
    name: "'glpat-' + rest of a routable token",
    command: `node -e 'const t = "glpat-" + "${routable.slice(6)}"'`,
    token: routable,
    expect: "denied",
  },
  {
    family: "concatenation hides a token",
    name: "template literal parts",
    command: `node -e 'const t = \`${fine.slice(0, 20)}\` + \`${fine.slice(20)}\`'`,
    token: fine,
    expect: "denied",
  },
  // Concatenation with an expression holds no value: the call runs.
  {
    family: "concatenation with an expression (near-miss)",
    name: '"Bearer "+process.argv[2]',
    command: `node -e 'const {fetch}=require("${LIB}");fetch(process.argv[1],{headers:{authorization:"Bearer "+process.argv[2]}})' http://127.0.0.1:9 x`,
    expect: "allowed",
  },
  {
    family: "concatenation with an expression (near-miss)",
    name: "'Bearer ' + this.config.accessToken",
    command: `node -e 'require("${LIB}"); const h = {Authorization: '"'"'Bearer '"'"' + this.config.accessToken}'`,
    expect: "allowed",
  },
  {
    family: "concatenation with an expression (near-miss)",
    name: '"token " + os.environ["GH_TOKEN"]',
    command: `python3 -c 'import os; p = "${LIB}"; h = {"Authorization": "token " + os.environ["GH_TOKEN"]}'`,
    expect: "allowed",
  },
  {
    family: "concatenation with an expression (near-miss)",
    name: '"Bearer " + (await getToken())',
    command: `node -e 'require("${LIB}"); const h = {authorization: "Bearer " + (await getToken())}'`,
    expect: "allowed",
  },
  {
    family: "concatenation with an expression (near-miss)",
    name: 'expression + string: token + "Suffix"',
    command: `node -e 'require("${LIB}"); const h = {authorization: accessTokenForUser + "Bearer"}'`,
    expect: "allowed",
  },
  // Checks: a valid token is denied; a broken check is not the reason to deny.
  {
    family: "checks",
    name: "GitLab routable PAT, valid CRC",
    command: `curl -H "PRIVATE-TOKEN: ${routable}" https://gitlab.example.invalid/api/v4/user`,
    token: routable,
    expect: "denied",
  },
  {
    family: "checks",
    name: "GitLab routable PAT, CRC broken by one character",
    command: `curl -H "PRIVATE-TOKEN: ${brokenRoutable}" https://gitlab.example.invalid/api/v4/user`,
    token: brokenRoutable,
    expect: "allowed",
  },
  {
    family: "checks",
    name: "GitHub fine-grained PAT, valid structure",
    command: `GH_TOKEN=${fine} gh api user`,
    token: fine,
    expect: "denied",
  },
  {
    family: "checks",
    name: "Azure storage key in a connection string, canonical",
    command: `export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=${azureKey};EndpointSuffix=core.windows.net"`,
    token: azureKey,
    expect: "denied",
  },
  {
    family: "checks",
    name: "Azure storage key, non-canonical padding (not a 64-byte key)",
    command: `export C="AccountName=demo;AccountKey=${brokenAzure}"`,
    token: brokenAzure,
    expect: "allowed",
  },
  {
    family: "checks",
    name: "Entra ID client secret, version 8 and 34 characters",
    command: `az login --service-principal -u app -p ${entra} --tenant t`,
    token: entra,
    expect: "denied",
  },
  {
    family: "checks",
    name: "Entra-shaped value with version digit 5 (not issued)",
    command: `export X=${entraWrongVersion}`,
    token: entraWrongVersion,
    expect: "allowed",
  },
  // Placeholders are not secrets.
  {
    family: "placeholders",
    name: "github_pat_ x-filled",
    command: `export GH_TOKEN=github_pat_${"x".repeat(22)}_${"x".repeat(59)}`,
    expect: "allowed",
  },
  {
    family: "placeholders",
    name: "glpat- x-filled routable shape",
    command: `export GITLAB_TOKEN=glpat-${"x".repeat(40)}.01${"0".repeat(7)}`,
    expect: "allowed",
  },
  {
    family: "placeholders",
    name: "AccountKey of zeros",
    command: `export C="AccountKey=${"0".repeat(86)}=="`,
    expect: "allowed",
  },
  {
    family: "placeholders",
    name: '"Bearer " + "<your-token-here>"',
    command: `node -e 'const h = "Bearer " + "<your-token-here>"'`,
    expect: "allowed",
  },
];

const payload = (command: string) =>
  bashCall(box, command, { session_id: "attack-rest", tool_use_id: "toolu_rest" });

describe("the records' checks themselves", () => {
  it("a generated routable token passes GitLab's check; every one-character change to payload, length or CRC fails it", () => {
    expect(validate("gitlab-routable-crc32", routable)).toBe(true);
    const dot = routable.lastIndexOf(".");
    expect(routable.slice(dot + 3)).toBe(gitlabRoutableChecksum(routable.slice(0, dot + 3)));
    for (let i = 6; i < routable.length; i++) {
      if (i === dot) continue;
      const m = routable.slice(0, i) + (routable[i] === "a" ? "b" : "a") + routable.slice(i + 1);
      expect(validate("gitlab-routable-crc32", m), `position ${i}`).toBe(false);
    }
  });

  it("fine-grained structure and the 64-byte key encoding accept generated keys and reject near-misses", () => {
    expect(validate("github-fine-grained", fine)).toBe(true);
    expect(validate("github-fine-grained", `github_pat_${"A".repeat(22)}_${fine.slice(-59)}`)).toBe(
      false,
    );
    expect(validate("github-fine-grained", fine.slice(0, -1))).toBe(false);
    expect(validate("base64-bytes", azureKey)).toBe(true);
    expect(validate("base64-bytes", brokenAzure)).toBe(false);
    expect(validate("azure-client-secret", entra)).toBe(true);
    expect(validate("azure-client-secret", entraWrongVersion)).toBe(false);
    expect(validate("azure-client-secret", `${entra.slice(0, 3)}7${entra.slice(4)}`)).toBe(false); // version 7 is 31 long
  });

  it("the hook prefilter keeps no large regex (its second run would compile it to machine code on every hook start)", () => {
    expect(PREFILTER_REST_SOURCE.length).toBeLessThan(200);
  });
});

describe("detection, the rest, through the real PreToolUse hook", () => {
  const results: Array<{ a: Attempt; denied: boolean }> = [];

  it.each(ATTEMPTS.map((a) => [`${a.family}: ${a.name}`, a] as const))("%s", async (_n, a) => {
    const r = await runHook(box, payload(a.command));
    expect(r.exitCode, r.stderr).toBe(0);
    const denied = r.stdout.includes('"permissionDecision":"deny"');
    results.push({ a, denied });
    if (a.token) {
      expect(r.stdout + r.stderr).not.toContain(a.token);
      expect(r.stdout + r.stderr).not.toContain(a.token.slice(-14));
    }
    expect(denied ? "denied" : "allowed", `${a.family}: ${a.name}\n${r.stdout}`).toBe(a.expect);
  });

  it('a rewritten command keeps `"Bearer "+expr` as written (nothing masked in it)', async () => {
    const store = await hookpack(["secret", "set", "API"], {
      input: ["Zx9", "value", "abcdef123456"].join("-"),
      env: { ...box.env, HOOKPACK_KEY_BACKEND: "file" },
      cwd: box.project,
    });
    expect(store.exitCode, store.stderr).toBe(0);
    // The code sits in an echo, not in `node -e`: inline interpreter code next to a `$secret:` is
    // refused since one-process delivery (it could compute a file name), which is not this test.
    const code = `{headers:{authorization:"Bearer "+process.argv[2]}}`;
    const r = await runHook(
      box,
      payload(
        `echo '${code}' > snippet.js && curl -sS -H "Authorization: Bearer $secret:API" http://127.0.0.1:9/echo`,
      ),
      { env: { HOOKPACK_KEY_BACKEND: "file" } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      hookSpecificOutput: { permissionDecision: string; updatedInput?: { command: string } };
    };
    expect(out.hookSpecificOutput.permissionDecision, JSON.stringify(out)).not.toBe("deny");
    expect(out.hookSpecificOutput.updatedInput?.command).toContain(code);
    expect(out.hookSpecificOutput.updatedInput?.command).not.toContain("REDACTED");
    // The rewrite above no longer masks anything in the command either way; what the fix changed is
    // the hidden reading the deny and the masking use: string + expression is no header credential
    // (without the fix this finds "authorization-header").
    expect(
      findHidden(`node -e 'fetch(u,${code})' http://x abc`).map((f) => f.finding.ruleId),
    ).toEqual([]);
    expect(findHidden(`echo '${code}'`).map((f) => f.finding.ruleId)).toEqual([]);
  });

  it("counts contained / attempts per family", () => {
    expect(results).toHaveLength(ATTEMPTS.length);
    const tally: Record<string, { attempts: number; held: number }> = {};
    for (const { a, denied } of results) {
      tally[a.family] ??= { attempts: 0, held: 0 };
      tally[a.family]!.attempts++;
      if ((denied ? "denied" : "allowed") === a.expect) tally[a.family]!.held++;
    }
    for (const [f, t] of Object.entries(tally))
      console.log(`detection-rest family ${f}: as expected ${t.held}/${t.attempts}`);
    expect(Object.values(tally).every((t) => t.held === t.attempts)).toBe(true);
  });
});
