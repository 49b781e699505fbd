// Stands in for rules/secretlint.ts inside dist/audit.cjs (scripts/build.mjs): the audit's value
// filter defaults to the hook prefilter (PREFILTER.test), and evaluating its tables (the detector
// literals and keywords, its regular expressions) at load cost every hook call that appends an
// entry ~1 ms CPU although the hook passes its own prefilter (AuditOptions.looksSecret). The module
// stays in this bundle (esbuild wraps a require()d ES module so that it runs on the first require):
// it is evaluated on the first PREFILTER.test, so nothing can be missing at that point that was
// there at load. An ES module, so that a name audit.ts imports and this lacks fails the build.
let real;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- bundled by esbuild, evaluated on first use
const load = () => (real ??= require("../rules/secretlint.ts"));
export const PREFILTER = { test: (text) => load().PREFILTER.test(text) };
