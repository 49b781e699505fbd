// Words protect-hookpack-state and rules/state-paths.ts both look for. A file of its own: state-paths
// is imported by protect-state, so a definition here keeps the two from importing each other.

/** A `cd`, `pushd` or `popd` word, or CDPATH: the command may change its directory. */
export const CHANGES_DIR =
  /(^|[^\w.-])(cd|pushd|popd)(?![\w.-])|CDPATH|\s(-C|--chdir|--directory)(?=[\s=]|$)/;
/**
 * CHANGES_DIR with quotes and backslashes taken out (`c''d`, `c\\d` are `cd`), or a word the shell
 * fills in (`$X ..` with X=cd): the command may run somewhere else than the session's cwd.
 */
export const mayChangeDir = (command: string): boolean =>
  /[$`]/.test(command) || CHANGES_DIR.test(command.replace(/['"\\]/g, ""));
/** An interpreter (`python3`, `node`, `perl`, `ruby`, `deno`…) … */
export const INTERPRETER =
  /(^|[\s;&|(/'"`])(python[0-9.]*|pypy[0-9]*|node|nodejs|perl|ruby|php|deno|bun|lua[0-9.]*|tclsh|Rscript|osascript)(?=[\s;&|)]|$)/;
