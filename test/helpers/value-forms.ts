// The forms an agent gives a managed value to slip it past the four-view search (reversed, split,
// escaped), the code-like filler it hides them in, and the check that `hookpack scan --format json`
// reported every planted file with its value's name. Shared by the views attacks
// (security/views-simd, security/views-single-lane); values are built at run time by the caller.

/** `s` reversed UTF-16 unit by unit (an astral character's surrogates swap). */
export const rev = (s: string): string => s.split("").reverse().join("");

/** Every UTF-8 byte of `s` as a `\xHH` escape. */
export const hexEsc = (s: string): string =>
  [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");

/** Every UTF-16 unit of `s` as a `\uXXXX` escape. */
export const uEsc = (s: string): string =>
  s
    .split("")
    .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .join("");

/** `units` characters of harmless JavaScript-looking lines. */
export const filler = (units: number): string => {
  let s = "";
  for (let i = 0; s.length < units; i++) s += `  call(arg.${i}, "t ${i * 7}", [${i}]);\n`;
  return s.slice(0, units);
};

/** `s` with `sep` put in at `at`. */
export const cut = (s: string, at: number, sep: string): string =>
  `${s.slice(0, at)}${sep}${s.slice(at)}`;

/**
 * The file names among `files` ([file name, value name, …]) that a `hookpack scan --format json`
 * stdout reported as a managed value whose label names that file's value.
 */
export function filesReportedWithName(
  scanStdout: string,
  files: ReadonlyArray<readonly [string, string, ...unknown[]]>,
): Set<string> {
  const found = new Set<string>();
  for (const f of JSON.parse(scanStdout).findings as Array<{
    path?: string;
    file?: string;
    label?: string;
    ruleId?: string;
  }>) {
    const file = (f.path ?? f.file ?? "").split("/").pop()!;
    const want = files.find(([name]) => name === file)?.[1];
    if (f.ruleId === "managed-value" && want && (f.label ?? "").includes(want)) found.add(file);
  }
  return found;
}
