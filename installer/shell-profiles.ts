// Secrets `export`ed from the user's shell profiles: "the single most common agent secret leak"
// (every agent started from that shell, and every command it runs, inherits them). Finds
// `export NAME=value` (sh, bash, zsh) and `set -x NAME value` / `set -gx` (fish) whose name says
// secret or whose value a detector recognises. Reports names, files and lines, never values.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isSecretName } from "../rules/inherited-env.js";

/** Profiles read by login and interactive shells, relative to HOME. */
export const SHELL_PROFILES = [
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  ".config/fish/config.fish",
] as const;

export interface ExportedSecret {
  file: string;
  line: number;
  name: string;
  why: "name" | "detected";
}

const SH_EXPORT = /^\s*(?:export\s+|declare\s+-x\s+|typeset\s+-x\s+)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const FISH_SET = /^\s*set\s+(?:-[a-zA-Z]*x[a-zA-Z]*\s+)+([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/;

/** The literal value of a shell assignment's right side: quotes taken off; an expansion is not a literal. */
function literal(raw: string): string | undefined {
  let v = raw.trim().replace(/\s+#.*$/, "");
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))
    v = v.slice(1, -1);
  if (v === "" || /^\$\(|^`|^\$\{?[A-Za-z_]/.test(v)) return undefined;
  return v;
}

export function findExportedSecrets(
  text: string,
  file: string,
  detect: (text: string) => boolean,
): ExportedSecret[] {
  const out: ExportedSecret[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    const m = SH_EXPORT.exec(lineText) ?? FISH_SET.exec(lineText);
    if (!m) return;
    const name = m[1]!;
    const value = literal(m[2]!);
    if (value === undefined || value.length < 8) return;
    if (isSecretName(name) && !/^[~./]/.test(value))
      out.push({ file, line: i + 1, name, why: "name" });
    else if (detect(value)) out.push({ file, line: i + 1, name, why: "detected" });
  });
  return out;
}

export function scanShellProfiles(
  home: string,
  detect: (text: string) => boolean,
): ExportedSecret[] {
  const out: ExportedSecret[] = [];
  for (const rel of SHELL_PROFILES) {
    const file = join(home, rel);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    out.push(...findExportedSecrets(text, file, detect));
  }
  return out;
}
