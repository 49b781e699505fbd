// Issue 14: "verify the hook runtime's hash before it runs". A real `hookpack install` writes the
// per-user runtime and the agent's settings; the agent (as the user) then tampers with the runtime
// the way the issue lists: overwrite a bundle, truncate one, symlink one elsewhere, change one and
// restore its mtime, overwrite the entry, rewrite the manifest to match. Each next hook call is run
// exactly as Claude Code runs it (`sh -c "<command from the settings>"`) and must be blocked (exit 2,
// a reason naming files, not content) without the tampered code running; `hookpack doctor` must
// name the damage. Contained = blocked, the planted code did not run, and doctor reports it.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installedPreToolUseCommand } from "../helpers/hook-run.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";
import { reportTally, tally } from "./tally.js";

reportTally();

let sb: Sandbox;
let command: string;
let runtime: string;
const env = () => ({ ...sb.env, HOOKPACK_KEY_BACKEND: "file", PATH: process.env.PATH! });
const marker = () => join(sb.root, "planted-code-ran");
const planted = () =>
  `require("fs").writeFileSync(${JSON.stringify(marker())}, "x"); process.stdout.write("{}"); process.exit(0);\n`;

beforeEach(async () => {
  sb = sandbox();
  spawnSync("git", ["init", "-q"], { cwd: sb.project });
  const r = await hookpack(
    ["install", "--agent", "claude-code", "--no-git-hook", "--no-ignore-files"],
    { env: env(), cwd: sb.project },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  command = installedPreToolUseCommand(sb.project);
  runtime = join(sb.hookpackHome, "runtime", "0.1.0");
  expect(command).toContain(" -e ");
  expect(existsSync(join(runtime, "runtime-manifest.json"))).toBe(true);
});
afterEach(() => sb?.cleanup());

/** One PreToolUse call as Claude Code makes it: the settings' command through sh. */
function call(): { code: number | null; stdout: string; stderr: string } {
  const payload = {
    session_id: "s",
    transcript_path: join(sb.root, "t.jsonl"),
    cwd: sb.project,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
    tool_use_id: "t",
  };
  const r = spawnSync("sh", ["-c", command], {
    input: JSON.stringify(payload),
    env: env(),
    cwd: sb.project,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function doctorText(): Promise<string> {
  const r = await hookpack(["doctor"], { env: env(), cwd: sb.project });
  return r.stdout + r.stderr;
}

const ATTACKS: Array<{ name: string; tamper: () => void }> = [
  {
    name: "overwrite hook.cjs with planted code",
    tamper: () => writeFileSync(join(runtime, "hook.cjs"), planted()),
  },
  {
    name: "append to the adapter bundle",
    tamper: () => appendFileSync(join(runtime, "adapter-claude-code.cjs"), `\n;${planted()}`),
  },
  { name: "truncate hook.cjs", tamper: () => truncateSync(join(runtime, "hook.cjs"), 0) },
  // hook-split: the before-tool rules' bundle and the lean hook bundle are verified like hook.cjs.
  {
    name: "overwrite before-tool-rules.cjs with planted code",
    tamper: () => writeFileSync(join(runtime, "before-tool-rules.cjs"), planted()),
  },
  {
    name: "overwrite hook-lean.cjs with planted code",
    tamper: () => writeFileSync(join(runtime, "hook-lean.cjs"), planted()),
  },
  {
    name: "delete before-tool-rules.cjs",
    tamper: () => unlinkSync(join(runtime, "before-tool-rules.cjs")),
  },
  { name: "truncate the entry", tamper: () => truncateSync(join(runtime, "hookpack.cjs"), 10) },
  {
    name: "overwrite the entry with planted code",
    tamper: () => writeFileSync(join(runtime, "hookpack.cjs"), planted()),
  },
  {
    name: "symlink hook.cjs to planted code elsewhere",
    tamper: () => {
      const elsewhere = join(sb.root, "evil.cjs");
      writeFileSync(elsewhere, planted());
      unlinkSync(join(runtime, "hook.cjs"));
      symlinkSync(elsewhere, join(runtime, "hook.cjs"));
    },
  },
  {
    name: "symlink hook.cjs to an identical copy elsewhere (to edit it there later)",
    tamper: () => {
      const elsewhere = join(sb.root, "copy.cjs");
      copyFileSync(join(runtime, "hook.cjs"), elsewhere);
      unlinkSync(join(runtime, "hook.cjs"));
      symlinkSync(elsewhere, join(runtime, "hook.cjs"));
    },
  },
  {
    name: "same-length change to hook.cjs with its mtime restored",
    tamper: () => {
      const p = join(runtime, "hook.cjs");
      const st = statSync(p, { bigint: true });
      const text = readFileSync(p, "utf8");
      const i = text.indexOf("hookpack");
      writeFileSync(p, `${text.slice(0, i)}HOOKPACK${text.slice(i + 8)}`);
      // touch with nanoseconds: the mtime is exactly what it was (as `touch -r` would do).
      const ns = st.mtimeNs % 1_000_000_000n;
      const r = spawnSync("touch", [
        "-m",
        "-d",
        `@${st.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, "0")}`,
        p,
      ]);
      if (r.status !== 0) utimesSync(p, statSync(p).atime, new Date(Number(st.mtimeMs)));
      expect(statSync(p, { bigint: true }).size).toBe(st.size);
      expect(statSync(p, { bigint: true }).mtimeNs).toBe(st.mtimeNs);
    },
  },
  {
    name: "overwrite hook.cjs and rewrite the manifest to match",
    tamper: () => {
      writeFileSync(join(runtime, "hook.cjs"), planted());
      const m = JSON.parse(readFileSync(join(runtime, "runtime-manifest.json"), "utf8")) as {
        files: Record<string, { sha256: string; size: number }>;
      };
      m.files["hook.cjs"] = {
        sha256: createHash("sha256").update(planted()).digest("hex"),
        size: Buffer.byteLength(planted()),
      };
      writeFileSync(join(runtime, "runtime-manifest.json"), `${JSON.stringify(m, null, 1)}\n`);
    },
  },
  { name: "delete the manifest", tamper: () => unlinkSync(join(runtime, "runtime-manifest.json")) },
  {
    name: "replace hook.cjs by rename (new inode, same content) then change the copy",
    tamper: () => {
      const p = join(runtime, "hook.cjs");
      const tmp = join(runtime, "hook.cjs.new");
      writeFileSync(tmp, readFileSync(p, "utf8").replace("hookpack", "HOOKPACK"));
      unlinkSync(p);
      copyFileSync(tmp, p);
      unlinkSync(tmp);
    },
  },
  // h21-allow2: the launcher reads the entry and the manifest as UTF-8 text. A byte that is not
  // UTF-8 decodes to U+FFFD, which is not the text install hashed: the anchor fails.
  {
    name: "a byte of the entry replaced by one that is not UTF-8 (same length)",
    tamper: () => {
      const p = join(runtime, "hookpack.cjs");
      const bytes = readFileSync(p);
      bytes[bytes.indexOf("hook.cjs")] = 0xff;
      writeFileSync(p, bytes);
    },
  },
  {
    name: "a byte of hook.cjs's hash in the manifest replaced by one that is not UTF-8",
    tamper: () => {
      const p = join(runtime, "runtime-manifest.json");
      const bytes = readFileSync(p);
      const at = bytes.indexOf('"sha256"', bytes.indexOf('"hook.cjs"')) + '"sha256": "'.length;
      bytes[at] = 0xff;
      writeFileSync(p, bytes);
    },
  },
  // The seal holds fingerprints as numbers: one forged in the older string form (for the
  // tampered file's own stat) is not taken for a match.
  {
    name: "overwrite hook.cjs and seal it in the older string form",
    tamper: () => {
      const p = join(runtime, "hook.cjs");
      writeFileSync(p, planted());
      const st = statSync(p);
      const sealPath = join(runtime, ".runtime-seal.json");
      const seal = JSON.parse(readFileSync(sealPath, "utf8")) as Record<string, unknown>;
      seal["hook.cjs"] = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      writeFileSync(sealPath, JSON.stringify(seal));
    },
  },
];

describe("attack: tampering with the installed hook runtime", () => {
  it("control: the untampered runtime allows a plain call (and a second call, through the seal)", () => {
    for (let i = 0; i < 2; i++) {
      const r = call();
      expect(r.code, r.stderr).toBe(0);
    }
    expect(existsSync(join(runtime, ".runtime-seal.json"))).toBe(true);
  });

  const t = tally("runtime/tamper");
  for (const a of ATTACKS) {
    it(a.name, async () => {
      expect(call().code).toBe(0); // sealed once, as after a normal first call
      a.tamper();
      const r = call();
      const ran = existsSync(marker());
      const doctor = await doctorText();
      const reported =
        /runtime/i.test(doctor) && /(changed|missing|not a regular file|differs)/.test(doctor);
      t.attempt(r.code === 2 && !ran && reported);
      expect(ran, "the planted code ran").toBe(false);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(
        /^hookpack: this call was blocked unchecked: the hook runtime in .* is not what hookpack install wrote/,
      );
      expect(reported, doctor).toBe(true);
    });
  }
});
