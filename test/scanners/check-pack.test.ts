// `hookpack check-pack` as a real process over real `npm pack` output (the s1–s15 fixtures of
// reference/publish-and-git.md §A1.2 that concern agent state and .env), hostile tarballs, and a
// published tarball fetched from a tiny registry on 127.0.0.1.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { writeTar } from "../../scanners/tar.js";
import {
  fakeGithubToken,
  fakeNpmToken,
  HOOKPACK,
  makeSandbox,
  REPO_ROOT,
  type Sandbox,
} from "../helpers/git-sandbox.js";

let s: Sandbox;
afterEach(() => s?.cleanup());

interface Report {
  findings: Array<{ kind: string; severity: string; path: string; ruleId: string; line?: number }>;
  failed: boolean;
}

/** The common fixture of §A1.2, plus `extra` files; returns the package dir and the token used. */
function fixture(name: string, pkg: Record<string, unknown>, extra: Record<string, string> = {}) {
  s = makeSandbox("hookpack-checkpack-");
  const dir = join(s.root, name);
  const token = fakeGithubToken();
  const files: Record<string, string> = {
    "package.json": JSON.stringify({ name, version: "1.0.0", main: "index.js", ...pkg }, null, 2),
    ".claude/settings.local.json": JSON.stringify({
      permissions: {
        allow: [`Bash(curl -H "Authorization: Bearer ${token}" https://api.example.invalid)`],
      },
    }),
    ".claude/settings.json": "{}\n",
    ".aider.chat.history.md": "# chat\n",
    ".env": "DEBUG=1\n",
    ".env.example": "API_KEY=\n",
    "CLAUDE.local.md": "notes\n",
    "index.js": "module.exports = 1;\n",
    "lib/a.js": "module.exports = 2;\n",
    "README.md": "# r\n",
    ...extra,
  };
  for (const [path, content] of Object.entries(files)) s.write(join(dir, path), content);
  return { dir, token };
}

function check(
  cwd: string,
  args: string[],
): { status: number | null; report: Report; stdout: string; stderr: string } {
  const r = s.hookpack(cwd, ["check-pack", ...args, "--format", "json"]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { status: r.status, report, stdout: r.stdout, stderr: r.stderr };
}

/** Async spawn: a registry served by this process cannot answer while spawnSync blocks it. */
function hookpackAsync(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [HOOKPACK, ...args],
      { cwd: s.root, env: s.env, encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) =>
        done({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const paths = (r: Report, severity = "error") =>
  [...new Set(r.findings.filter((f) => f.severity === severity).map((f) => f.path))].sort();

describe("hookpack check-pack over real npm pack", () => {
  it("s1 no ignore files: flags settings.local.json (by name and by its token), .env, CLAUDE.local.md, aider history", () => {
    const { dir, token } = fixture("s1", {});
    const r = check(dir, ["."]);
    expect(r.status).toBe(1);
    expect(paths(r.report)).toEqual([
      ".aider.chat.history.md",
      ".claude/settings.local.json",
      ".env",
      "CLAUDE.local.md",
    ]);
    expect(r.report.findings.find((f) => f.kind === "secret")).toMatchObject({
      path: ".claude/settings.local.json",
      ruleId: "github-pat",
      line: 1,
    });
    expect(paths(r.report, "warning")).toContain(".claude/settings.json");
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it("s2 a .gitignore listing them: clean (npm falls back to .gitignore)", () => {
    const { dir } = fixture(
      "s2",
      {},
      { ".gitignore": ".claude/settings.local.json\n.env\nCLAUDE.local.md\n.aider*\n" },
    );
    const r = check(dir, ["."]);
    expect(paths(r.report)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it("s3 that .gitignore plus a .npmignore with only test/: everything ships again and is flagged", () => {
    const { dir } = fixture(
      "s3",
      {},
      {
        ".gitignore": ".claude/settings.local.json\n.env\nCLAUDE.local.md\n.aider*\n",
        ".npmignore": "test/\n",
      },
    );
    const r = check(dir, ["."]);
    expect(r.status).toBe(1);
    expect(paths(r.report)).toEqual([
      ".aider.chat.history.md",
      ".claude/settings.local.json",
      ".env",
      "CLAUDE.local.md",
    ]);
  });

  it("s5 files lists .claude: settings.local.json ships despite .gitignore", () => {
    const { dir } = fixture(
      "s5",
      { files: ["lib", ".claude"] },
      { ".gitignore": ".claude/settings.local.json\n" },
    );
    const r = check(dir, ["."]);
    expect(r.status).toBe(1);
    expect(paths(r.report)).toEqual([".claude/settings.local.json"]);
  });

  it("s13 .npmignore with .CLAUDE/ (npm matches case-insensitively) and s14 .claude/* with !settings.json", () => {
    const a = fixture("s13", {}, { ".npmignore": ".CLAUDE/\n.env\nCLAUDE.local.md\n.aider*\n" });
    const r13 = check(a.dir, ["."]);
    expect(paths(r13.report)).toEqual([]);
    s.cleanup();
    const b = fixture(
      "s14",
      {},
      { ".gitignore": ".claude/*\n!.claude/settings.json\n.env\nCLAUDE.local.md\n.aider*\n" },
    );
    const r14 = check(b.dir, ["."]);
    expect(paths(r14.report)).toEqual([]);
    expect(paths(r14.report, "warning")).toEqual([".claude/settings.json"]);
    expect(r14.status).toBe(0);
  });

  it("s15 an explicit files entry wins over .npmignore; the neg case excludes it", () => {
    const a = fixture(
      "s15",
      { files: ["lib", ".claude/settings.local.json"] },
      { ".npmignore": ".claude/\n" },
    );
    expect(paths(check(a.dir, ["."]).report)).toEqual([".claude/settings.local.json"]);
    s.cleanup();
    const b = fixture("neg", { files: ["lib", ".claude", "!**/settings.local.json"] });
    const r = check(b.dir, ["."]);
    expect(paths(r.report)).toEqual([]);
    expect(paths(r.report, "warning")).toEqual([".claude/settings.json"]);
  });

  it("finds a nested .claude/settings.local.json behind a path longer than 100 bytes", () => {
    const deep = `${"a-rather-long-directory-name/".repeat(5)}.claude/settings.local.json`;
    const { dir } = fixture(
      "longpath",
      { files: ["index.js", "a-rather-long-directory-name"] },
      { [deep]: "{}\n" },
    );
    const r = check(dir, ["."]);
    expect(r.status).toBe(1);
    expect(paths(r.report)).toEqual([deep]);
  });

  it("flags a packed file that git ignores only through the global excludes file (the 2026 leak)", () => {
    const { dir } = fixture(
      "globalignore",
      { files: ["index.js", "notes.txt"] },
      { "notes.txt": "n\n" },
    );
    s.write(join(s.home, ".config", "git", "ignore"), "notes.txt\n");
    s.run("git", ["init", "-q"], { cwd: dir, env: { GIT_CONFIG_GLOBAL: "/dev/null" } });
    const r = check(dir, ["."]);
    expect(r.report.findings).toContainEqual(
      expect.objectContaining({ kind: "git-only-ignore", path: "notes.txt", severity: "warning" }),
    );
  });

  it("flags a token in an .npmrc that a tarball from another packer carries, in SARIF and GitHub formats", () => {
    s = makeSandbox("hookpack-checkpack-");
    const npmToken = fakeNpmToken();
    const tgz = join(s.root, "yarn-style.tgz");
    s.write(
      tgz,
      gzipSync(
        writeTar([
          { name: "package/package.json", body: '{"name":"y","version":"1.0.0"}' },
          { name: "package/.npmrc", body: `//registry.npmjs.org/:_authToken=${npmToken}\n` },
        ]),
      ),
    );
    const sarif = s.hookpack(s.root, ["check-pack", tgz, "--format", "sarif"]);
    expect(sarif.status).toBe(1);
    const doc = JSON.parse(sarif.stdout) as {
      version: string;
      runs: Array<{
        results: Array<{
          ruleId: string;
          locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>;
        }>;
      }>;
    };
    expect(doc.version).toBe("2.1.0");
    expect([...new Set(doc.runs[0]!.results.map((x) => x.ruleId))].sort()).toEqual([
      "npm-access-token",
      "npmrc",
    ]);
    expect(doc.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe(
      ".npmrc",
    );
    const gh = s.hookpack(s.root, ["check-pack", tgz, "--format", "github"]);
    expect(gh.stdout).toMatch(
      /^::error file=\.npmrc,line=1,col=\d+,title=hookpack check-pack%3A npm-access-token::/m,
    );
    expect(sarif.stdout + gh.stdout + gh.stderr).not.toContain(npmToken);
  });

  it("flags every entry of an evil tarball and refuses a gzip bomb without extracting", () => {
    s = makeSandbox("hookpack-checkpack-");
    const evil = join(s.root, "evil.tgz");
    s.write(
      evil,
      gzipSync(
        writeTar([
          { name: "package/package.json", body: "{}" },
          { name: "package/../../evil-traversal.txt", body: "x" },
          { name: "/tmp/abs-evil.txt", body: "x" },
          { name: "package/lnk", typeflag: "2", linkname: "/etc" },
          { name: "package/hard", typeflag: "1", linkname: "/etc/hostname" },
          { name: "package\\..\\..\\win-evil.txt", body: "x" },
          { name: "package/dup.txt", body: "1" },
          { name: "package/dup.txt", body: "2" },
        ]),
      ),
    );
    const r = check(s.root, [evil]);
    expect(r.status).toBe(1);
    const unusual = r.report.findings.filter((f) => f.kind === "unusual-entry").map((f) => f.path);
    expect(unusual).toEqual(
      expect.arrayContaining([
        "package/../../evil-traversal.txt",
        "/tmp/abs-evil.txt",
        "package/lnk",
        "package/hard",
        "package\\..\\..\\win-evil.txt",
        "package/dup.txt",
      ]),
    );
    const bomb = join(s.root, "bomb.tgz");
    s.write(
      bomb,
      gzipSync(writeTar([{ name: "package/zeros", body: Buffer.alloc(6 * 1024 * 1024) }])),
    );
    const b = s.hookpack(s.root, ["check-pack", bomb, "--max-bytes", "1000000"]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain("decompresses to more than the 1000000-byte limit");
  });

  it("check-pack DIR applies --max-bytes to the files npm would pack (the in-process path), before reading them", () => {
    const { dir, token } = fixture("big-pkg", {}, { "data/big.txt": "x".repeat(300_000) });
    const small = s.hookpack(s.root, ["check-pack", dir, "--max-bytes", "100000"]);
    expect(small.status).toBe(1);
    expect(small.stderr).toContain("add up to more than the 100000-byte limit");
    expect(small.stderr).toContain("nothing in it was checked");
    expect(small.stdout + small.stderr).not.toContain(token);
    // Under the limit the same package is scanned (and fails on its agent-state file).
    const roomy = check(s.root, [dir, "--max-bytes", "10000000"]);
    expect(roomy.status).toBe(1);
    expect(roomy.report.findings.length).toBeGreaterThan(0);
  });

  it("fetches <name>@<version> from a registry on 127.0.0.1 and audits the published tarball", async () => {
    const { dir, token } = fixture("published-pkg", {});
    s.run("npm", ["pack", "--pack-destination", s.root], { cwd: dir });
    const tarball = readFileSync(join(s.root, "published-pkg-1.0.0.tgz"));
    let server: Server | undefined;
    try {
      const port = await new Promise<number>((done) => {
        server = createServer((req, res) => {
          const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
          if (req.url === "/published-pkg") {
            res.setHeader("content-type", "application/json");
            res.end(
              JSON.stringify({
                name: "published-pkg",
                "dist-tags": { latest: "1.0.0" },
                versions: {
                  "1.0.0": {
                    name: "published-pkg",
                    version: "1.0.0",
                    dist: {
                      tarball: `${base}/published-pkg/-/published-pkg-1.0.0.tgz`,
                      shasum: createHash("sha1").update(tarball).digest("hex"),
                      integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
                    },
                  },
                },
              }),
            );
          } else if (req.url === "/published-pkg/-/published-pkg-1.0.0.tgz") {
            res.end(tarball);
          } else {
            res.statusCode = 404;
            res.end("{}");
          }
        });
        server.listen(0, "127.0.0.1", () => done((server!.address() as AddressInfo).port));
      });
      const r = await hookpackAsync([
        "check-pack",
        "published-pkg@1.0.0",
        "--registry",
        `http://127.0.0.1:${port}/`,
      ]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toContain("published-pkg@1.0.0 (published tarball)");
      expect(r.stdout).toContain(".claude/settings.local.json");
      expect(r.stdout).toContain("already published: revoke");
      expect(r.stdout + r.stderr).not.toContain(token);
      const missing = await hookpackAsync([
        "check-pack",
        "no-such-pkg@9.9.9",
        "--registry",
        `http://127.0.0.1:${port}/`,
      ]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("npm pack failed while fetching no-such-pkg@9.9.9");
    } finally {
      server?.close();
    }
  });

  it("passes on this repository itself (dogfooding)", () => {
    s = makeSandbox("hookpack-checkpack-");
    const r = s.hookpack(REPO_ROOT, ["check-pack", ".", "--ignore-scripts"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
