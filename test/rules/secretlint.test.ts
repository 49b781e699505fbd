import { describe, expect, it } from "vitest";
import { lint } from "../../rules/secretlint-engine.js";
import { expansionReadings, mayHide, PREFILTER, secretScanner } from "../../rules/secretlint.js";
import { SECRETLINT_CONFIRM_PARTS } from "../../rules/detect.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

// The form bulk scans decide by whether secretlint runs at all (rules/detect.ts).
const CONFIRM = new RegExp(SECRETLINT_CONFIRM_PARTS.join("|"));

// Clean text that resembles real tool output: code, logs, JSON, URLs without credentials.
const CLEAN = [
  "total 48\ndrwxr-xr-x  5 user user 4096 Nov 22 10:00 .\n-rw-r--r--  1 user user  220 package.json",
  'export function add(a: number, b: number) { return a + b; }\nconst url = "https://example.com/api/v1/items?page=2";',
  '{"name":"demo","version":"1.0.0","scripts":{"test":"vitest"},"dependencies":{"zod":"^4.0.0"}}',
  "Error: ENOENT: no such file or directory, open '/home/u/app/config.yml'\n    at Object.openSync (node:fs:581:3)",
  "The account id is stored in the settings table; see docs/accounts.md for details.",
  "git log --oneline\n0a3c833 Scaffold the package\n4b1d2e9 Fix typo in README",
];

describe("secretlint wrapper", () => {
  const tokens = fakeTokens(7);

  it.each(Object.entries(tokens))(
    "finds the %s fake with the pinned preset",
    async (name, value) => {
      const text =
        name === "awsSecretAccessKey" ? `aws_secret_access_key = ${value}` : `value: ${value}\n`;
      const findings = await lint(text, "tool-output.txt");
      expect(findings.length, `${name} not detected`).toBeGreaterThan(0);
      // The prefilter may never hide something the preset finds.
      expect(PREFILTER.test(text)).toBe(true);
    },
  );

  it("prefilter never misses what the preset finds, over many seeds and contexts", async () => {
    const contexts = [
      (v: string) => `export TOKEN=${v}`,
      (v: string) => `{"key": "${v}"}`,
      (v: string) => `curl -H 'Authorization: Bearer ${v}' x`,
    ];
    let cases = 0;
    // The property is about findings: count the texts where the preset found something (and the
    // prefilter was checked), not loop iterations, so that a preset finding nothing cannot pass.
    let checked = 0;
    const missed = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      for (const [name, value] of Object.entries(fakeTokens(seed))) {
        for (const ctx of contexts) {
          const text = ctx(
            name === "awsSecretAccessKey" ? `aws_secret_access_key=${value}` : value,
          );
          const found = (await lint(text, "tool-output.txt")).length > 0;
          cases++;
          if (!found) {
            missed.add(name);
            continue;
          }
          expect(
            PREFILTER.test(text),
            `${name} (seed ${seed}) found by the preset but missed by the prefilter`,
          ).toBe(true);
          expect(
            CONFIRM.test(text),
            `${name} (seed ${seed}) found by the preset but missed by the bulk confirm form`,
          ).toBe(true);
          checked++;
        }
      }
    }
    expect(cases).toBe(12 * Object.keys(fakeTokens(1)).length * contexts.length);
    // Every fake is one the preset detects (as the test above shows for seed 7), in every context.
    expect([...missed]).toEqual([]);
    expect(checked).toBe(cases);
    expect(checked).toBeGreaterThan(500);
  });

  it("finds nothing in clean text, and the prefilter skips it", async () => {
    for (const text of CLEAN) {
      expect(secretScanner.mayContainSecret(text), text).toBe(false);
      expect(await lint(text, "tool-output.txt")).toEqual([]);
    }
  });

  it("scans for AWS access key ids (off upstream by default; hookpack's record wins the merge)", async () => {
    const text = `AWS_ACCESS_KEY_ID=${tokens.awsAccessKeyId}`;
    expect((await lint(text, "tool-input.txt")).map((f) => f.messageId)).toContain(
      "AWSAccessKeyID",
    );
    expect((await secretScanner.scan(text)).map((f) => f.ruleId)).toEqual(["aws-access-key-id"]);
  });

  it("treats secretlint-disable comments in scanned text as data, not instructions", async () => {
    const text = `// secretlint-disable\nconst t = "${tokens.github}";\n// secretlint-disable-line\n${tokens.npm} // secretlint-disable-line`;
    const ids = (await secretScanner.scan(text)).map((f) => f.ruleId);
    expect(ids).toContain("github-pat");
    expect(ids).toContain("npm-access-token");
  });

  it("reports ranges that cover exactly the value, and never the value itself", async () => {
    const text = `token: ${tokens.github} end`;
    const [finding] = await secretScanner.scan(text);
    expect(finding).toBeDefined();
    expect(text.slice(finding!.start, finding!.end)).toBe(tokens.github);
    expect(JSON.stringify(finding)).not.toContain(tokens.github);
  });

  it("passes the file path so path-gated rules fire (.npmrc _authToken)", async () => {
    const text = `//registry.npmjs.org/:_authToken=${tokens.npm.slice(4)}\n`;
    expect((await secretScanner.scan(text, "/home/u/app/.npmrc")).length).toBeGreaterThan(0);
  });
});

describe("expansion splices (HIDING, mayHide, expansionReadings)", () => {
  const t = fakeTokens(5).github;
  it("mayHide sees a token split by an expansion inside the word, pieces under 16", () => {
    for (const sep of ["${x}", "${x:-}", "$1", "$()", "$(true)", "`:`", "${a}${b}", "$''", '$""'])
      expect(
        mayHide(`export T=${t.slice(0, 10)}${sep}${t.slice(10, 20)}${sep}${t.slice(20)}`),
        sep,
      ).toBe(true);
  });
  it("mayHide stays quiet on ordinary short expansions", () => {
    for (const c of ["echo $HOME", "ls -la src", "cp a-${V}.tgz /tmp", "echo foo$bar", 'x="$1"'])
      expect(mayHide(c), c).toBe(false);
  });
  it("expansionReadings rebuilds the word as the shell would", () => {
    const [a, b] = [t.slice(0, 7), t.slice(7)];
    const has = (text: string) => expansionReadings(text).some((r) => r.includes(t));
    expect(has(`echo ${a}\${x}${b}`)).toBe(true);
    expect(has(`echo ${a}\${x:-}${b}`)).toBe(true);
    expect(has(`echo ${t.slice(0, 4)}\${x:-${t.slice(4, 9)}}${t.slice(9)}`)).toBe(true);
    expect(has(`echo ${a}$1${b}`)).toBe(true);
    expect(has(`echo ${a}$(true)${b}`)).toBe(true);
    expect(has(`echo ${a}\`:\`${b}`)).toBe(true);
    expect(expansionReadings(`echo ${a}$''${b}`)).toContain(`echo ${a}''${b}`);
    expect(has(`P=${a}; echo \${P}${b}`)).toBe(true);
    expect(has(`export P=x; P='${a}'; echo $P${b}`)).toBe(false); // `$P…` reads the longest name
    expect(has(`export P=x; P='${a}'; echo \${P}${b}`)).toBe(true);
    expect(expansionReadings("ls -la src")).toEqual([]);
  });
  it("scanHidden finds the token in such a word and nothing in ordinary expansions", async () => {
    const found = await secretScanner.scanHidden!(
      `curl -H "token ${t.slice(0, 9)}\${x}${t.slice(9)}"`,
    );
    expect(found.map((h) => h.value)).toContain(t);
    for (const c of [
      "cp dist/${NAME}-v${VERSION}.tar.gz /tmp/release-artifacts/",
      "ls ~/projects/my-long-project-name-$USER/build-output-directory",
      "for f in src/*.ts; do echo ${f%.ts}; done",
    ])
      expect(await secretScanner.scanHidden!(c), c).toEqual([]);
  });
});
