// Does a shell command reach hookpack's own directory ($HOOKPACK_HOME: store, key, grants, audit
// log, runtime)? Text matching of command words is not enough (globs, `~`, variables, symlinks,
// `bash -c`), so every word of every simple command (nested ones and `sh -c` scripts included) is
// resolved through the one shell parser: a static path is resolved with its symlinks; a glob is
// matched against the file system; a path-like word with a part the shell fills in at run time
// (`~/$d/store.key`, `$HOME/.h*`) is denied when its static parts could lead into the directory.
// This is a text check made as sound as a shell allows, not a boundary (README: what needs an OS sandbox).
import { readdirSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { scanShell, type ScanResult } from "./shell-scan.js";
import { programOf } from "./secret-refs.js";

const DYN = "\u0001";
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "busybox"]);

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

function real(path: string): string {
  // The longest existing prefix, resolved (a symlink to the home counts), plus the rest.
  let p = path;
  const rest: string[] = [];
  for (let i = 0; i < 64; i++) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const up = resolve(p, "..");
      if (up === p) return path;
      rest.push(p.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
      p = up;
    }
  }
  return path;
}

const globRe = (segment: string) =>
  new RegExp(
    `^${[...segment]
      .map((c) =>
        c === "*"
          ? "[^/]*"
          : c === "?"
            ? "[^/]"
            : c === DYN
              ? "[^/]*"
              : c.replace(/[.+^${}()|\\\\[\]]/g, "\\$&"),
      )
      .join("")}$`,
  );

/** Paths a glob word can name now (bounded); `[` classes are treated as `?`. */
function expandGlob(pattern: string, cwd: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const parts = abs.split("/").filter(Boolean);
  let current = ["/"];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?[]/.test(part) && !part.includes(DYN)) {
      for (const c of current) next.push(join(c, part));
    } else {
      const re = globRe(part.replace(/\[[^\]]*\]/g, "?"));
      for (const c of current) {
        let entries: string[] = [];
        try {
          entries = readdirSync(c);
        } catch {
          continue;
        }
        for (const e of entries) if (re.test(e)) next.push(join(c, e));
      }
    }
    current = next.slice(0, 2000);
    if (current.length === 0) break;
  }
  return current;
}

export interface StateContext {
  home: string;
  cwd: string;
  /** The user's home directory, for `~`. */
  userHome: string;
}

/** The first word that could reach `ctx.home`, with why; undefined when none can. */
export function reachesHome(command: string, ctx: StateContext, depth = 0): string | undefined {
  const home = real(resolve(ctx.home));
  const scan: ScanResult = scanShell(command);
  for (const c of scan.commands) {
    for (const w of c.words) {
      const raw = command.slice(w.start, w.end);
      if (/\$\{?HOOKPACK_HOME\b/.test(raw)) return raw;
      let text = w.value ?? w.shape;
      if (w.assignment) text = text.slice(text.indexOf("=") + 1);
      if (text.startsWith("of=") || text.startsWith("if=")) text = text.slice(3);
      if (/^--[a-z-]+=/.test(text)) text = text.slice(text.indexOf("=") + 1);
      // `~` is expanded by bash only when unquoted, but a quoted `~` is no path to the home either way.
      if (raw.startsWith("~")) text = ctx.userHome + text.slice(1);
      if (text.startsWith(`${DYN}/`) && /^"?\$\{?HOME\b/.test(raw))
        text = ctx.userHome + text.slice(1);
      if (!text.includes("/") && !text.includes(DYN) && !/[*?[]/.test(raw)) {
        // A bare name: relative to cwd (e.g. `cd ~; cat .hookpack/store.key` is caught by the `.hookpack` word).
        if (inside(home, real(resolve(ctx.cwd, text))) && text !== "" && text !== ".") return raw;
        continue;
      }
      const dynamic = text.includes(DYN);
      const globbing = /[*?[]/.test(raw.replace(/'[^']*'|"[^"]*"/g, ""));
      if (!dynamic && !globbing) {
        if (inside(home, real(resolve(ctx.cwd, text)))) return raw;
        continue;
      }
      if (globbing && !dynamic) {
        for (const p of expandGlob(text, ctx.cwd)) if (inside(home, real(p))) return raw;
        continue;
      }
      // A part filled in at run time: deny when the static parts could lead into the home.
      if (text.includes("/") && couldLead(text, home, ctx.cwd)) return raw;
    }
    // `bash -c '<script>'`: the script is a command too.
    const info = programOf(c);
    if (depth < 3 && info.program !== undefined && SHELLS.has(info.program)) {
      const i = info.args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a.value ?? ""));
      const script = i === -1 ? undefined : info.args[i + 1];
      if (script?.value !== undefined) {
        const hit = reachesHome(script.value, ctx, depth + 1);
        if (hit) return hit;
      } else if (script) {
        return command.slice(script.start, script.end);
      }
    }
  }
  return undefined;
}

/**
 * Could a path with parts filled in at run time name the home or a file in it? Its static prefix
 * (up to the first such part) must then be a prefix of the home's path, or lie inside it. A word
 * that starts with an unknown variable (`"$dir/x"`) cannot be resolved and is let through: only
 * `$HOME`, `~` and `$HOOKPACK_HOME` are known here (README: what remains).
 */
function couldLead(pattern: string, home: string, cwd: string): boolean {
  if (pattern.startsWith(DYN)) return false;
  const abs = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const at = [abs.indexOf(DYN), abs.search(/[*?[]/)].filter((i) => i !== -1);
  const cut = at.length === 0 ? -1 : Math.min(...at);
  const prefix = cut === -1 ? abs : abs.slice(0, cut);
  return (
    home.startsWith(prefix) ||
    inside(home, real(prefix.endsWith("/") ? prefix.slice(0, -1) || "/" : resolve(prefix, "..")))
  );
}
