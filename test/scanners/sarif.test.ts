// Issue 17 item 7 / issue 18 item 6: every SARIF hookpack emits is valid against the official
// SARIF 2.1.0 JSON schema (fetched from the registry at set-up, see test/helpers/sarif-schema.ts),
// lists every detector record as a rule with its whole description and where to rotate it, and
// locates results repository-relative (`uriBaseId` %SRCROOT% with `originalUriBaseIds`).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import { fakeFor } from "../helpers/fake-secrets.js";
import { hookpack, REPO, sandbox, type Sandbox } from "../helpers/run.js";
import { sarifErrors, sarifValidator } from "../helpers/sarif-schema.js";

interface Sarif {
  $schema: string;
  version: string;
  runs: Array<{
    tool: {
      driver: {
        name: string;
        informationUri?: string;
        rules: Array<{
          id: string;
          shortDescription: { text: string };
          fullDescription?: { text: string };
          help?: { text: string; markdown?: string };
          helpUri?: string;
        }>;
      };
    };
    originalUriBaseIds?: Record<string, { uri: string }>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId?: string };
          region?: { startLine: number };
        };
      }>;
    }>;
  }>;
}

const boxes: Sandbox[] = [];
afterEach(() => {
  for (const b of boxes.splice(0)) b.cleanup();
});
function repo(): Sandbox {
  const b = sandbox();
  boxes.push(b);
  execFileSync("git", ["init", "-q", "-b", "main"], {
    cwd: b.project,
    env: { ...process.env, ...b.env },
  });
  return b;
}
const cli = (b: Sandbox, args: string[], cwd = b.project) =>
  hookpack(args, {
    cwd,
    env: { ...b.env, HOOKPACK_KEY_BACKEND: "file", HOOKPACK_CODE_CACHE: "0" },
  });
const rule = (id: string) => RULES.find((r) => r.id === id)!;

beforeAll(() => {
  // Fetches (once) and compiles the official schema; a failure here fails every test below.
  sarifValidator();
}, 240_000);

describe("the schema check itself can fail", () => {
  it("rejects SARIF that breaks the schema (a result without a message, a bad level, a relative informationUri)", () => {
    const ok = { version: "2.1.0", runs: [{ tool: { driver: { name: "x" } }, results: [] }] };
    expect(sarifErrors(JSON.stringify(ok))).toEqual([]);
    expect(
      sarifErrors(
        JSON.stringify({
          ...ok,
          runs: [{ tool: { driver: { name: "x" } }, results: [{ ruleId: "a" }] }],
        }),
      ).length,
    ).toBeGreaterThan(0);
    expect(
      sarifErrors(
        JSON.stringify({
          ...ok,
          runs: [
            {
              tool: { driver: { name: "x" } },
              results: [{ message: { text: "m" }, level: "fatal" }],
            },
          ],
        }),
      ).length,
    ).toBeGreaterThan(0);
    expect(
      sarifErrors(
        JSON.stringify({
          ...ok,
          runs: [{ tool: { driver: { name: "x", informationUri: "not a uri" } }, results: [] }],
        }),
      ).length,
    ).toBeGreaterThan(0);
    expect(sarifErrors(JSON.stringify({ version: "2.0.0", runs: [] })).length).toBeGreaterThan(0);
  });
});

describe("scan --format sarif", () => {
  it("is schema-valid; every record is a rule; results are %SRCROOT%-relative with originalUriBaseIds; no values", async () => {
    const b = repo();
    const gh = fakeFor(rule("github-pat"), 7);
    const aws = fakeFor(rule("aws-access-key-id"), 7);
    mkdirSync(join(b.project, "src", "dir with space"), { recursive: true });
    writeFileSync(join(b.project, "src", "config.ts"), `export const token = "${gh}";\n`);
    writeFileSync(
      join(b.project, "src", "dir with space", "deploy.sh"),
      `# deploy\nexport AWS_ACCESS_KEY_ID=${aws}\n`,
    );
    const r = await cli(b, ["scan", "--format", "sarif"]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(sarifErrors(r.stdout)).toEqual([]);
    expect(r.stdout).not.toContain(gh);
    expect(r.stdout).not.toContain(aws);
    const doc = JSON.parse(r.stdout) as Sarif;
    const run = doc.runs[0]!;
    // Every record is a rule (not only those that fired), with whole descriptions and rotation help.
    const ids = run.tool.driver.rules.map((x) => x.id);
    for (const rec of RULES) {
      const d = run.tool.driver.rules.find((x) => x.id === rec.id);
      expect(d, rec.id).toBeDefined();
      expect(d!.shortDescription.text).toBe(rec.label);
      expect(d!.fullDescription?.text, rec.id).toContain(rec.label);
      expect(d!.fullDescription?.text, rec.id).toContain(rec.secretName);
      expect(d!.help?.text, rec.id).toContain(rec.rotate.steps);
      if (rec.rotate.url) expect(d!.help?.text, rec.id).toContain(rec.rotate.url);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // No informationUri that does not resolve: hookpack has no public page yet, so package.json has
    // no homepage/repository/bugs either (issue 18 item 15); the two must agree when one is added.
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      homepage?: string;
      repository?: unknown;
      bugs?: unknown;
    };
    expect(run.tool.driver.informationUri).toBe(pkg.homepage);
    for (const v of [
      pkg.homepage,
      JSON.stringify(pkg.repository ?? ""),
      JSON.stringify(pkg.bugs ?? ""),
    ])
      expect(v ?? "").not.toMatch(/example\.(com|org)|your-?(org|name)|TODO|OWNER|placeholder/i);
    // Repository-relative URIs with a base the consumer can resolve.
    expect(run.originalUriBaseIds?.["%SRCROOT%"]?.uri).toBe(pathToFileURL(`${b.project}/`).href);
    const uris = run.results.map((x) => x.locations[0]!.physicalLocation.artifactLocation);
    expect(uris).toContainEqual({ uri: "src/config.ts", uriBaseId: "%SRCROOT%" });
    expect(uris).toContainEqual({
      uri: "src/dir%20with%20space/deploy.sh",
      uriBaseId: "%SRCROOT%",
    });
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe(res.ruleId);
      expect(res.locations[0]!.physicalLocation.artifactLocation.uri).not.toMatch(
        /^\/|^[a-z]+\/[a-z]+\/.*project/,
      );
    }
    const fired = run.results.map((x) => x.ruleId);
    expect(fired).toContain("github-pat");
    expect(fired).toContain("aws-access-key-id");
  }, 120_000);

  it("state files outside the repository get absolute file: URIs (no base), still schema-valid", async () => {
    const b = repo();
    const gh = fakeFor(rule("github-pat"), 9);
    mkdirSync(join(b.home, ".claude"), { recursive: true });
    writeFileSync(
      join(b.home, ".claude", "settings.json"),
      JSON.stringify({ permissions: { allow: [`Bash(GH_TOKEN=${gh} gh pr list)`] } }),
    );
    const r = await cli(b, ["scan", "--state", "--format", "sarif"]);
    expect(sarifErrors(r.stdout)).toEqual([]);
    expect(r.stdout).not.toContain(gh);
    const run = (JSON.parse(r.stdout) as Sarif).runs[0]!;
    const loc = run.results
      .map((x) => x.locations[0]!.physicalLocation.artifactLocation)
      .find((l) => l.uri.includes(".claude"));
    expect(loc, r.stdout.slice(0, 2000)).toBeDefined();
    expect(loc!.uri.startsWith("file:///")).toBe(true);
    expect(loc!.uriBaseId).toBeUndefined();
  }, 120_000);

  it("a clean scan is schema-valid with no results and every rule listed", async () => {
    const b = repo();
    writeFileSync(join(b.project, "README.md"), "# nothing here\n");
    const r = await cli(b, ["scan", "--format", "sarif"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sarifErrors(r.stdout)).toEqual([]);
    const run = (JSON.parse(r.stdout) as Sarif).runs[0]!;
    expect(run.results).toEqual([]);
    expect(run.tool.driver.rules.length).toBeGreaterThanOrEqual(RULES.length);
  }, 60_000);
});

describe("check-pack --format sarif", () => {
  it("is schema-valid; packed paths are relative to the package directory; non-record rules have whole descriptions", async () => {
    const b = repo();
    const gh = fakeFor(rule("github-pat"), 11);
    writeFileSync(
      join(b.project, "package.json"),
      JSON.stringify({ name: "sarif-fixture", version: "1.0.0" }),
    );
    writeFileSync(join(b.project, "index.js"), `module.exports = "${gh}";\n`);
    mkdirSync(join(b.project, ".claude"), { recursive: true });
    writeFileSync(join(b.project, ".claude", "settings.local.json"), "{}\n");
    const r = await cli(b, ["check-pack", ".", "--format", "sarif"]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(sarifErrors(r.stdout)).toEqual([]);
    expect(r.stdout).not.toContain(gh);
    const run = (JSON.parse(r.stdout) as Sarif).runs[0]!;
    expect(run.originalUriBaseIds?.["%SRCROOT%"]?.uri).toBe(pathToFileURL(`${b.project}/`).href);
    const uris = run.results.map((x) => x.locations[0]!.physicalLocation.artifactLocation);
    expect(uris).toContainEqual({ uri: "index.js", uriBaseId: "%SRCROOT%" });
    expect(uris).toContainEqual({ uri: ".claude/settings.local.json", uriBaseId: "%SRCROOT%" });
    for (const res of run.results) {
      const d = run.tool.driver.rules[res.ruleIndex]!;
      expect(d.id).toBe(res.ruleId);
      // Whole descriptions: not cut at the first colon.
      expect(d.shortDescription.text.length, d.id).toBeGreaterThan(10);
    }
    const agentFile = run.results.find(
      (x) =>
        x.locations[0]!.physicalLocation.artifactLocation.uri === ".claude/settings.local.json",
    )!;
    const d = run.tool.driver.rules[agentFile.ruleIndex]!;
    expect(d.shortDescription.text).toContain(": ");
  }, 180_000);
});
