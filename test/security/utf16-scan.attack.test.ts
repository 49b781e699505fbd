// sec-utf16: a file with a NUL byte in its first 8 KB is binary and not scanned, so the agent
// writes the token as UTF-16 (what Windows tools write for .env, .ps1, .reg, config exports) and
// hopes `hookpack scan`, `hookpack check-pack` and the pre-push hook let it through. Each planted
// file is an attempt, through the real built CLI, a real package directory and a real `npm pack`
// tarball, and a real `git push` to a bare repo with the hook installed: contained = the gate
// reports that file, on the token's line, and no value appears in anything it prints.
// ASCII after 16 KB of UTF-16 must still be found (each gate reads such a file decoded AND as its
// bytes are). A true binary must still be skipped with no finding. UTF-16 strings inside a real binary (a
// PE-like header, then a string table) stay skipped, as ASCII strings in binaries are: a known gap,
// tallied as not contained.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeGithubToken, HOOKPACK, makeSandbox, type Sandbox } from "../helpers/git-sandbox.js";
import { seeded } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let s: Sandbox;
beforeAll(() => {
  if (!readdirSync(join(HOOKPACK, "..")).includes("pre-push.cjs"))
    throw new Error("run `npm run build` first");
});
afterEach(() => s?.cleanup());

const le = (t: string) => Buffer.from(t, "utf16le");
const be = (t: string) => Buffer.from(t, "utf16le").swap16();
const cat = (...parts: Array<number[] | Buffer>) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const utf32le = (t: string) => {
  const cps = [...t].map((c) => c.codePointAt(0)!);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => b.writeUInt32LE(cp, i * 4));
  return b;
};

/** The token on line 3 of a small Windows-style config. */
const body = (token: string) =>
  `# exported settings\r\nUSER=ci\r\nGITHUB_TOKEN=${token}\r\nX=1\r\n`;

/** file name → bytes, each hiding its own token on line 3 as UTF-16/32 text. */
function wideFiles(): Array<{ name: string; bytes: Buffer; token: string }> {
  const make = (name: string, enc: (t: string) => Buffer) => {
    const token = fakeGithubToken();
    return { name, bytes: enc(body(token)), token };
  };
  return [
    make("utf16le-bom.env", (t) => cat([0xff, 0xfe], le(t))),
    make("utf16be-bom.ps1", (t) => cat([0xfe, 0xff], be(t))),
    make("utf16le-nobom.reg", (t) => le(t)),
    make("utf16be-nobom.cfg", (t) => be(t)),
    make("utf32le-bom.txt", (t) => cat([0xff, 0xfe, 0, 0], utf32le(t))),
  ];
}

/** 16 KB of UTF-16 filler, then the token in plain ASCII: must be read as the bytes are, too. */
function mixedFile(): { name: string; bytes: Buffer; token: string } {
  const token = fakeGithubToken();
  const bytes = cat(le("filler = 1\r\n".repeat(700)), Buffer.from(`GITHUB_TOKEN=${token}\n`));
  return { name: "mixed.txt", bytes, token };
}

/** A PE-like binary: header bytes, random code, then a UTF-16 string table holding the token. */
function peLike(token: string): Buffer {
  const rnd = seeded(11);
  const code = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
  const header = cat(Buffer.from("MZ"), Buffer.alloc(58), [0x80, 0, 0, 0], Buffer.from("PE\0\0"));
  return cat(header, code, le(`FileDescription\0Tool\0Token\0${token}\0`));
}

/** True binaries: random bytes, zeros, a uint16 table (every other byte NUL, the others control). */
function trueBinaries(): Array<{ name: string; bytes: Buffer }> {
  const rnd = seeded(5);
  const table = Buffer.alloc(6000);
  for (let i = 0; i < 3000; i++) table.writeUInt16LE(i % 31, i * 2);
  return [
    {
      name: "random.bin",
      bytes: Buffer.from(Array.from({ length: 9000 }, () => Math.floor(rnd() * 256))),
    },
    { name: "zeros.bin", bytes: Buffer.alloc(9000) },
    { name: "table.bin", bytes: table },
  ];
}

interface ScanReport {
  findings: Array<{ path: string; line: number; ruleId: string }>;
  skipped: Array<{ path: string; why: string }>;
}

describe("hookpack scan: a token written as UTF-16/32", () => {
  it("finds it on its line in every wide encoding, and still skips true binaries", () => {
    s = makeSandbox("hookpack-utf16-scan-");
    const dir = join(s.root, "proj");
    const wide = wideFiles();
    const mixed = mixedFile();
    const pe = { name: "tool.exe", token: fakeGithubToken() };
    for (const f of [...wide, mixed]) s.write(join(dir, f.name), f.bytes);
    s.write(join(dir, pe.name), peLike(pe.token));
    for (const b of trueBinaries()) s.write(join(dir, b.name), b.bytes);
    const paths = [
      ...wide.map((f) => f.name),
      mixed.name,
      pe.name,
      ...trueBinaries().map((b) => b.name),
    ].map((n) => join(dir, n));
    const r = s.hookpack(dir, ["scan", ...paths, "--format", "json"]);
    const out = r.stdout + r.stderr;
    const report = JSON.parse(r.stdout) as ScanReport;
    const missed: string[] = [];
    for (const f of wide) {
      const hit = report.findings.find((x) => x.path === join(dir, f.name));
      const contained = r.status === 1 && hit?.line === 3 && !out.includes(f.token);
      tally("scan: UTF-16/32 text file").attempt(contained);
      if (!contained) missed.push(`${f.name}: ${JSON.stringify(hit)}`);
    }
    const mixedHit = report.findings.some((x) => x.path === join(dir, mixed.name));
    tally("scan: ASCII after 16 KB of UTF-16").attempt(mixedHit && !out.includes(mixed.token));
    if (!mixedHit || out.includes(mixed.token)) missed.push(mixed.name);
    expect(missed, out).toEqual([]);
    // Known gap: a string table inside a real binary is not read (ASCII strings there are not either).
    const peHit = report.findings.some((x) => x.path === join(dir, pe.name));
    tally("scan: UTF-16 strings inside a binary (known gap)").attempt(peHit);
    expect(peHit).toBe(false);
    expect(report.skipped).toContainEqual({ path: join(dir, pe.name), why: "binary" });
    expect(out).not.toContain(pe.token);
    for (const b of trueBinaries()) {
      expect(report.findings.some((x) => x.path === join(dir, b.name))).toBe(false);
      expect(report.skipped).toContainEqual({ path: join(dir, b.name), why: "binary" });
    }
  });
});

interface PackReport {
  findings: Array<{ kind: string; path: string; ruleId: string; line?: number }>;
}

describe("hookpack check-pack: a token written as UTF-16/32 in a published file", () => {
  it("finds it in a package directory and in its real `npm pack` tarball; true binaries add nothing", () => {
    s = makeSandbox("hookpack-utf16-pack-");
    const dir = join(s.root, "wide-pkg");
    const wide = wideFiles();
    s.write(
      join(dir, "package.json"),
      JSON.stringify({ name: "wide-pkg", version: "1.0.0", main: "index.js" }, null, 2),
    );
    s.write(join(dir, "index.js"), "module.exports = 1;\n");
    const mixed = mixedFile();
    for (const f of [...wide, mixed]) s.write(join(dir, "conf", f.name), f.bytes);
    for (const b of trueBinaries()) s.write(join(dir, "assets", b.name), b.bytes);
    s.run("npm", ["pack", "--pack-destination", s.root], { cwd: dir });
    const tarball = join(s.root, "wide-pkg-1.0.0.tgz");
    for (const [how, target, prefix] of [
      ["directory", dir, ""],
      ["npm pack tarball", tarball, "package/"],
    ] as const) {
      const r = s.hookpack(s.root, ["check-pack", target, "--format", "json"]);
      const out = r.stdout + r.stderr;
      const report = JSON.parse(r.stdout) as PackReport;
      const missed: string[] = [];
      for (const f of wide) {
        const hit = report.findings.find(
          (x) => x.kind === "secret" && x.path.replace(/^package\//, "") === `conf/${f.name}`,
        );
        const contained = r.status === 1 && hit?.line === 3 && !out.includes(f.token);
        tally(`check-pack ${how}: UTF-16/32 text file`).attempt(contained);
        if (!contained) missed.push(`${how} ${f.name}`);
      }
      const mixedHit = report.findings.some(
        (x) => x.kind === "secret" && x.path.replace(/^package\//, "") === `conf/${mixed.name}`,
      );
      const mixedOk = mixedHit && !out.includes(mixed.token);
      tally(`check-pack ${how}: ASCII after 16 KB of UTF-16`).attempt(mixedOk);
      if (!mixedOk) missed.push(`${how} ${mixed.name}`);
      expect(missed, JSON.stringify(report.findings)).toEqual([]);
      const binaryFindings = report.findings.filter((x) => x.path.includes("assets/"));
      expect(binaryFindings, `${how} ${prefix}`).toEqual([]);
    }
  });
});

describe("pre-push: a commit adding a token written as UTF-16", () => {
  it("blocks the push, naming the file, for every wide encoding; a true binary pushes", () => {
    s = makeSandbox("hookpack-utf16-prepush-");
    const { dir } = s.repo();
    s.write(join(dir, "README.md"), "# demo\n");
    s.git(dir, "add", "README.md");
    s.git(dir, "commit", "-q", "-m", "initial");
    s.git(dir, "push", "-q", "origin", "main");
    const inst = s.hookpack(dir, ["install", "--agent", "claude-code", "--scope", "local"]);
    expect(inst.status, inst.stderr).toBe(0);
    const remoteHead = () => s.git(dir, "ls-remote", "origin", "main").split("\t")[0] ?? "";
    const missed: string[] = [];
    // UTF-32 is left out here: git's diff splits its lines between a character's bytes.
    // And ASCII after 16 KB of UTF-16: read as git gives it too, as it was before the decoder.
    const mixed = mixedFile();
    for (const f of [...wideFiles().filter((x) => !x.name.startsWith("utf32")), mixed]) {
      s.write(join(dir, f.name), f.bytes);
      s.git(dir, "add", "-f", "--", f.name);
      s.git(dir, "commit", "-q", "-m", `add ${f.name}`);
      const before = remoteHead();
      // --force: after a missed attempt the remote holds the commit this loop then resets away.
      const r = s.run("git", ["push", "--force", "origin", "main"], { cwd: dir, ok: false });
      const out = r.stdout + r.stderr;
      const contained =
        r.status !== 0 &&
        remoteHead() === before &&
        /hookpack: push blocked/.test(r.stderr) &&
        r.stderr.includes(f === mixed ? `${f.name}:` : `${f.name}:3`) &&
        !out.includes(f.token);
      tally("pre-push: UTF-16 text file").attempt(contained);
      if (!contained) missed.push(`${f.name}: ${out}`);
      s.git(dir, "reset", "-q", "--hard", "HEAD~1");
    }
    expect(missed).toEqual([]);
    for (const b of trueBinaries()) s.write(join(dir, b.name), b.bytes);
    s.git(dir, "add", "-f", "--", ...trueBinaries().map((b) => b.name));
    s.git(dir, "commit", "-q", "-m", "binaries");
    const r = s.run("git", ["push", "--force", "origin", "main"], { cwd: dir, ok: false });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
