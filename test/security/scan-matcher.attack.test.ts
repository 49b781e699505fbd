// Issue 21: the managed-value matcher was made faster for scan, pre-push and check-pack (rolling
// hash loop, native reversed/squeezed views, streamed git log, in-process npm file list). The
// agent tries to get a stored value past those gates in the places a faster matcher could miss:
// split across git's pipe chunks, at a file's very end, reversed, base64/hex/url-encoded, split into
// string pieces, inside a 1 MB line, among 1,000 files, repeated, next to an overlapping value.
// Everything runs through the real CLI (dist/hookpack.cjs) with a real store, in temp git repos.
// Each planted file is an attempt: contained = the gate fails and names that file, and no value
// appears in anything it prints.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";
import { hookCacheAsV4, hookCacheVersion } from "../../broker/hook-cache.js";

reportTally();

const rand = () => Math.random().toString(36).slice(2, 12);
// Built at run time; not token-shaped (no provider prefix), so only the managed matcher finds them.
const A = `mv${rand()}${rand()}Zk`;
const B = `${A.slice(8)}${rand()}Qx`; // overlaps A: B starts with A's last characters
const C = `cw${rand()}${rand()}Jp`;
// Shorter than the 16-character window: its forms run on their own window lengths (13 characters of
// three classes: strong enough to be searchable, broker/hook-cache.ts MIN_SEARCHABLE_BITS).
const D = `sv${rand().padEnd(8, "7").slice(0, 8)}Q4x`;
const values = [A, B, C, D];

const reverse = (s: string) => s.split("").reverse().join("");
const filler = (n: number) => {
  const line = "const total = items.reduce((sum, item) => sum + item.price, 0); // plain code\n";
  return line.repeat(Math.ceil(n / line.length)).slice(0, n);
};

/** file → content: every way of hiding a value this test tries. */
function planted(): Record<string, string> {
  const files: Record<string, string> = {
    "raw.js": `${filler(300)}const k = "${A}";\n`,
    "reversed.js": `const k = "${reverse(A)}";\n`,
    "base64.txt": `auth: ${Buffer.from(`user:${C}`).toString("base64")}\n`,
    "hex.txt": `key=${Buffer.from(A).toString("hex")}\n`,
    "url.txt": `https://example.invalid/?t=${encodeURIComponent(`${C}/`)}\n`,
    "split.js": `const k = '${A.slice(0, 7)}' + '${A.slice(7, 15)}' + '${A.slice(15)}';\n`,
    "split-reversed.js": `x = "${reverse(C).slice(0, 9)}" "${reverse(C).slice(9)}"\n`,
    "at-end-no-newline.txt": `${filler(5000)}${C}`,
    "one-mb-line.txt": `${"x".repeat(512 * 1024)}${A}${"y".repeat(512 * 1024)}\n`,
    "one-mb-line-end.txt": `${"z".repeat(1024 * 1024)}${B}`,
    "repeated.txt": `${`${C} `.repeat(200)}\n`,
    "overlapping.txt": `${A}${B.slice(A.length - 8)}\n${B}${A}\n`,
    // The one-pass matcher reads each window both ways (no reversed copy of the text) and tests a
    // 32-bit whole-form check before the sha256: reversed forms at the text's very edges, a file
    // that is only the reversed value, reversed encodings, a value shorter than the window, and
    // two-byte (non-Latin-1) neighbours.
    "reversed-at-start.txt": `${reverse(A)}${filler(700)}\n`,
    "reversed-at-end-no-newline.txt": `${filler(3000)}${reverse(C)}`,
    "only-reversed.txt": reverse(B),
    "reversed-hex.txt": `k=${reverse(Buffer.from(A).toString("hex"))}\n`,
    "reversed-base64-blob.txt": `${reverse(Buffer.from(`user:${C}`).toString("base64"))}\n`,
    "plain-then-reversed.txt": `${A}${reverse(A)}`,
    "short-reversed.txt": `x = "${reverse(D)}"\n`,
    "short-split.js": `const s = '${D.slice(0, 4)}' + '${D.slice(4)}';\n`,
    "short-at-end.txt": `${filler(999)}${D}`,
    "short-reversed-hex.txt": `${filler(50)}${reverse(Buffer.from(D).toString("hex"))}`,
    "two-byte-neighbours.txt": `é€ ${reverse(C)}€é ${A}€\n`,
  };
  // Cache version 3 looks a squeezed window up only when a joiner lies inside it (otherwise it is
  // the text's own window, already looked up): a value whose first 16 characters are whole and
  // whose rest follows past a joiner, with every joiner, as is and reversed, at the file's edges,
  // and next to two-byte and four-byte UTF-8 neighbours.
  const seps = [" ", "\t", "\n", "\r\n", "'", '"', "`", "+", ",", ".", "\\", "[", "]", "(", ")"];
  const wide = ["\u00a0", "\u2028", "\u3000", "\ufeff"];
  [...seps, ...wide].forEach((sep, i) => {
    const at = 16 - (i % 3);
    files[`window-then-split-${i}.js`] = `${filler(40 + i)}${A.slice(0, at)}${sep}${A.slice(at)}\n`;
    files[`window-then-split-reversed-${i}.txt`] = reverse(
      `${C.slice(0, at)}${sep}${sep}${C.slice(at)}`,
    );
  });
  files["window-then-split-at-start.txt"] = `${A.slice(0, 16)}' + '${A.slice(16)}${filler(300)}`;
  files["window-then-split-at-end.txt"] = `${filler(300)}${C.slice(0, 16)}"\n"${C.slice(16)}`;
  files["window-then-split-utf8.txt"] = `é😀${A.slice(0, 16)}\u3000 ${A.slice(16)}😀é\n`;
  files["split-inside-window-utf8.txt"] = `😀${C.slice(0, 5)}\u2028${C.slice(5)}€\n`;
  // Straddling git's 64 KiB pipe reads (and any chunking): values just before, across and after
  // every 64 KiB boundary of a 320 KiB file.
  let straddle = "";
  for (let k = 1; k <= 4; k++) {
    const at = k * 65536 - (k % 2 === 0 ? 5 : A.length - 3);
    straddle += filler(at - straddle.length) + (k % 2 === 0 ? A : reverse(B));
  }
  files["straddle-64k.txt"] = `${straddle}${filler(1000)}\n`;
  return files;
}

let sb: Sandbox;
const env = () => ({
  ...sb.env,
  HOOKPACK_KEY_BACKEND: "file",
  PATH: process.env.PATH!,
  npm_config_cache: join(sb.root, ".npm-cache"),
  npm_config_update_notifier: "false",
});
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: env(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

function write(dir: string, files: Record<string, string>): void {
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
}

const noValue = (text: string) =>
  values.every((v) => !text.includes(v) && !text.includes(reverse(v)));

beforeAll(async () => {
  sb = sandbox();
  const envFile = join(sb.root, "import.env");
  writeFileSync(envFile, `MATCH_A=${A}\nMATCH_B=${B}\nMATCH_C=${C}\nMATCH_D=${D}\n`);
  const r = await hookpack(["secret", "import", envFile], { env: env(), cwd: sb.root });
  expect(r.exitCode, r.stderr).toBe(0);
}, 60_000);
afterAll(() => sb?.cleanup());

describe("attack: hiding a stored value from `hookpack scan`", () => {
  it("every planted file is reported, among 1,000 clean files, and no value is printed", async () => {
    const dir = join(sb.root, "scan-tree");
    const files = planted();
    write(dir, files);
    // 1,000 clean files around them, and one more value in the last of them.
    for (let i = 0; i < 1000; i++)
      writeFileSync(
        join(dir, `clean-${String(i).padStart(4, "0")}.js`),
        i === 999 ? `${filler(200)}${A}\n` : filler(200),
      );
    files["clean-0999.js"] = "";
    const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
    const t = tally("scan: stored value hidden in a file");
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      files: number;
      findings: Array<{ path: string; ruleId: string; secret?: string }>;
    };
    expect(report.files).toBeGreaterThanOrEqual(1000 + Object.keys(files).length - 1);
    const found = new Set(
      report.findings.filter((f) => f.ruleId === "managed-value" || f.secret).map((f) => f.path),
    );
    for (const name of Object.keys(files)) {
      const ok = found.has(join(dir, name));
      t.attempt(ok && noValue(r.stdout + r.stderr));
      expect(ok, `${name} not reported by scan`).toBe(true);
    }
    expect(noValue(r.stdout + r.stderr)).toBe(true);
  }, 180_000);
});

describe("attack: hiding a stored value from the pre-push gate", () => {
  it("every planted file in a pushed history is reported, chunk boundaries included", async () => {
    const dir = join(sb.root, "push-repo");
    mkdirSync(dir, { recursive: true });
    git(dir, "init", "-q", "-b", "main");
    writeFileSync(join(dir, "README.md"), "# demo\n");
    git(dir, "add", ".");
    git(dir, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "init");
    const files = planted();
    // One commit per file, in the middle of a history of clean commits.
    for (const [name, body] of Object.entries(files)) {
      write(dir, { [name]: body, [`noise-${name}.js`]: filler(20000) });
      git(dir, "add", ".");
      git(
        dir,
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-qm",
        `add ${name}`,
      );
    }
    const head = git(dir, "rev-parse", "HEAD").trim();
    const r = await hookpack(["pre-push", "origin", "--format", "json"], {
      input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
      env: env(),
      cwd: dir,
    });
    const t = tally("pre-push: stored value hidden in a pushed commit");
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Array<{ path: string; ruleId: string }> };
    const found = new Set(
      report.findings.filter((f) => f.ruleId === "managed-value").map((f) => f.path),
    );
    for (const name of Object.keys(files)) {
      const ok = found.has(name);
      t.attempt(ok && noValue(r.stdout + r.stderr));
      expect(ok, `${name} not reported by pre-push`).toBe(true);
    }
    // The straddling file holds 4 values: each is its own finding (none lost at a chunk edge).
    expect(
      report.findings.filter((f) => f.path === "straddle-64k.txt").length,
    ).toBeGreaterThanOrEqual(4);
    expect(noValue(r.stdout + r.stderr)).toBe(true);
  }, 180_000);
});

describe("attack: hiding a stored value from check-pack (DIR in process, and the tarball npm makes)", () => {
  it("every planted file is reported both ways, with the same findings", async () => {
    const dir = join(sb.root, "pkg");
    const files = planted();
    write(dir, {
      ...files,
      "package.json": JSON.stringify({
        name: "attack-pkg",
        version: "1.0.0",
        files: Object.keys(files),
      }),
      "README.md": "# pkg\n",
    });
    const viaDir = await hookpack(["check-pack", dir, "--format", "json"], {
      env: env(),
      cwd: sb.root,
    });
    const packed = execFileSync(
      "npm",
      ["pack", "--ignore-scripts", "--pack-destination", sb.root],
      { cwd: dir, env: env(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    )
      .trim()
      .split("\n")
      .pop()!;
    const viaTgz = await hookpack(["check-pack", join(sb.root, packed), "--format", "json"], {
      env: env(),
      cwd: sb.root,
    });
    const reports: Array<[string, typeof viaDir]> = [
      ["check-pack DIR", viaDir],
      ["check-pack FILE.tgz", viaTgz],
    ];
    const paths: string[][] = [];
    for (const [label, r] of reports) {
      const t = tally(`${label}: stored value hidden in a packed file`);
      expect(r.exitCode, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as {
        files: number;
        findings: Array<{ path: string; ruleId: string; line?: number }>;
      };
      const found = new Set(
        report.findings.filter((f) => f.ruleId === "managed-value").map((f) => f.path),
      );
      for (const name of Object.keys(files)) {
        const ok = found.has(name);
        t.attempt(ok && noValue(r.stdout + r.stderr));
        expect(ok, `${name} not reported by ${label}`).toBe(true);
      }
      paths.push(report.findings.map((f) => `${f.path}:${f.ruleId}:${f.line ?? ""}`).sort());
      expect(report.files).toBe(Object.keys(files).length + 2);
    }
    expect(paths[0]).toEqual(paths[1]);
  }, 180_000);
});

describe("attack: a hook cache written before the whole-form check column", () => {
  it("`hookpack scan` finds every planted file through the sha256-only path too", async () => {
    // The check column is a shortcut before the sha256; a cache without it (an older hookpack's,
    // or one the agent rewrote without it) is no cache (sec-cache): `scan` rebuilds it from the
    // store and must not skip anything.
    const cacheFile = join(sb.hookpackHome, "hook-cache.json");
    const original = readFileSync(cacheFile);
    // The same entries as a version 4 file (still read), then without its check column.
    const file = hookCacheAsV4(original) as { packed: { check?: string } };
    expect(typeof file.packed.check).toBe("string");
    delete file.packed.check;
    writeFileSync(cacheFile, JSON.stringify(file));
    try {
      const dir = join(sb.root, "scan-old-cache");
      const files = planted();
      write(dir, files);
      const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
      const t = tally("scan with a cache without the check column");
      expect(r.exitCode, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { findings: Array<{ path: string; ruleId: string }> };
      const found = new Set(
        report.findings.filter((f) => f.ruleId === "managed-value").map((f) => f.path),
      );
      for (const name of Object.keys(files)) {
        const ok = found.has(join(dir, name));
        t.attempt(ok && noValue(r.stdout + r.stderr));
        expect(ok, `${name} not reported with the older cache`).toBe(true);
      }
    } finally {
      writeFileSync(cacheFile, original);
    }
  }, 180_000);
});

describe("attack: a version-2 hook cache (an older hookpack's, refused since version 4)", () => {
  it("`hookpack scan` refuses it, rebuilds the cache from the store and finds every planted file", async () => {
    // Versions ≤ 3 gave values away (test/security/hook-cache-leak.attack.test.ts): never searched.
    // An older hookpack writes hook-cache.json only (newer than the version 5 file: it is read).
    const cacheFile = join(sb.hookpackHome, "hook-cache.json");
    const v5File = join(sb.hookpackHome, "hook-cache.v5");
    const original = readFileSync(v5File);
    expect(hookCacheVersion(original)).toBe(5);
    const file = hookCacheAsV4(original) as { version: number; salt: string; names: string[] };
    expect(file.version).toBe(4);
    writeFileSync(cacheFile, JSON.stringify({ ...file, version: 2 }));
    try {
      const dir = join(sb.root, "scan-v2-cache");
      const files = planted();
      write(dir, files);
      const r = await hookpack(["scan", dir, "--format", "json"], { env: env(), cwd: sb.root });
      const t = tally("scan with a version-2 cache");
      expect(r.exitCode, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as { findings: Array<{ path: string; ruleId: string }> };
      const found = new Set(
        report.findings.filter((f) => f.ruleId === "managed-value").map((f) => f.path),
      );
      for (const name of Object.keys(files)) {
        const ok = found.has(join(dir, name));
        t.attempt(ok && noValue(r.stdout + r.stderr));
        expect(ok, `${name} not reported with the version-2 cache`).toBe(true);
      }
      // Rebuilt in the current format.
      expect(hookCacheVersion(readFileSync(v5File))).toBe(5);
      expect(hookCacheVersion(readFileSync(cacheFile))).toBe(4);
    } finally {
      writeFileSync(v5File, original);
    }
  }, 180_000);
});

describe("attack: a damaged hook cache under check-pack and pre-push (no store opened, no rebuild)", () => {
  it("they fail, never pass the planted files as clean", async () => {
    // A cache the reader refuses once made `scan` report nothing (issue 21: a version 5 file with
    // more window lengths than the reader took). A damaged cache beside a store is an error for
    // every scanner that reads it, not "nothing stored".
    const v5File = join(sb.hookpackHome, "hook-cache.v5");
    const original = readFileSync(v5File);
    writeFileSync(v5File, original.subarray(0, original.length - 4));
    const t = tally("check-pack / pre-push with a damaged hook cache");
    try {
      const dir = join(sb.root, "pkg-damaged");
      const files = planted();
      write(dir, {
        ...files,
        "package.json": JSON.stringify({
          name: "dmg",
          version: "1.0.0",
          files: Object.keys(files),
        }),
      });
      const pack = await hookpack(["check-pack", dir, "--format", "json"], {
        env: env(),
        cwd: sb.root,
      });
      git(dir, "init", "-q");
      git(dir, "add", "-A");
      git(dir, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x");
      const head = git(dir, "rev-parse", "HEAD").trim();
      const push = await hookpack(["pre-push", "origin", "--format", "json"], {
        input: `refs/heads/main ${head} refs/heads/main ${"0".repeat(40)}\n`,
        env: env(),
        cwd: dir,
      });
      for (const [label, r] of [
        ["check-pack", pack],
        ["pre-push", push],
      ] as const) {
        const ok = r.exitCode !== 0 && noValue(r.stdout + r.stderr);
        t.attempt(ok);
        expect(ok, `${label} exited ${r.exitCode}: ${r.stderr.slice(0, 300)}`).toBe(true);
        // A clear error (what is wrong, how to rebuild), not "internal error … please report".
        expect(r.exitCode, label).toBe(2);
        expect(r.stderr, label).toMatch(/the hook cache in .* is damaged/);
        expect(r.stderr, label).toMatch(/hookpack scan --state/);
        expect(r.stderr, label).not.toMatch(/internal error| {4}at /);
      }
    } finally {
      writeFileSync(v5File, original);
    }
  }, 180_000);
});
