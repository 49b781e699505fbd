// Words protect-hookpack-state and rules/state-paths.ts both look for. A file of its own: state-paths
// is imported by protect-state, so a definition here keeps the two from importing each other.

/** A `cd`, `pushd` or `popd` word, or CDPATH: the command may change its directory. */
export const CHANGES_DIR =
  /(^|[^\w.-])(cd|pushd|popd)(?![\w.-])|CDPATH|\s(-C|--chdir|--directory)(?=[\s=]|$)/;
/**
 * CHANGES_DIR with quotes and backslashes taken out (`c''d`, `c\\d` are `cd`), or a word the shell
 * fills in (`$X ..` with X=cd): the command may run somewhere else than the session's cwd.
 */
export const mayChangeDir = (command: string): boolean => {
  if (command.includes("$") || command.includes("`")) return true;
  const bare =
    command.includes("'") || command.includes('"') || command.includes("\\")
      ? command.replace(/['"\\]/g, "")
      : command;
  // CHANGES_DIR only where the text holds a substring every match of it holds (issue 21: no regex
  // compiled on a plain command's call): "cd", "pushd", "popd", "CDPATH", or "-C" / "--" (the flags).
  return (
    (bare.includes("cd") ||
      bare.includes("pushd") ||
      bare.includes("popd") ||
      bare.includes("CDPATH") ||
      bare.includes("-C") ||
      bare.includes("--")) &&
    CHANGES_DIR.test(bare)
  );
};
/** Substrings every program name INTERPRETER matches holds (`python3.11` holds "python"). */
const INTERPRETER_NAMES = [
  "python",
  "pypy",
  "node",
  "perl",
  "ruby",
  "php",
  "deno",
  "bun",
  "lua",
  "tclsh",
  "Rscript",
  "osascript",
];
/**
 * False when `command` holds none of INTERPRETER's program names (every match of it holds one of
 * these substrings): INTERPRETER need not run then (issue 21: no regex compiled on a plain command).
 */
export const mayNameInterpreter = (command: string): boolean => {
  for (const name of INTERPRETER_NAMES) if (command.includes(name)) return true;
  return false;
};
/** An interpreter (`python3`, `node`, `perl`, `ruby`, `deno`…) … */
export const INTERPRETER =
  /(^|[\s;&|(/'"`])(python[0-9.]*|pypy[0-9]*|node|nodejs|perl|ruby|php|deno|bun|lua[0-9.]*|tclsh|Rscript|osascript)(?=[\s;&|)]|$)/;
