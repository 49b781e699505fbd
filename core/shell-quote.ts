// POSIX shell quoting: one place for every piece of shell text hookpack writes (hook commands in
// agent settings, git hooks, wrapper scripts, the audit log's command summaries).

/** One word as a POSIX shell reads it back: bare when it is made of safe characters only, else single-quoted. */
export function quoteWord(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** POSIX shell double-quoting; `$VAR` references listed in `keep` stay expandable. */
export function doubleQuote(text: string, keep: readonly string[] = []): string {
  let out = text.replace(/[\\"$`]/g, (c) => `\\${c}`);
  for (const name of keep) out = out.split(`\\$${name}`).join(`$${name}`);
  return `"${out}"`;
}
