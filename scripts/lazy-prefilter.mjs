// Stands in for rules/secretlint.ts inside dist/audit.cjs (scripts/build.mjs): the audit's value
// filter defaults to the hook prefilter (PREFILTER.test), and evaluating its tables (the detector
// literals and keywords, its regular expressions) at load cost every hook call that appends an
// entry ~1 ms CPU although the hook passes its own prefilter (AuditOptions.looksSecret). The tables
// live in their own bundle, audit-prefilter.cjs (rules/audit-prefilter.ts; before, this bundle held
// them, evaluated late but read and compiled with audit.cjs by every hook call that appends an
// entry): required on the first PREFILTER.test, whose failure (a missing or damaged bundle)
// throws there, and the append refuses to write rather than write unfiltered. An ES module, so that
// a name audit.ts imports and this lacks fails the build.
let real;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sibling bundle (scripts/build.mjs), loaded on first use
const load = () => (real ??= require("../rules/audit-prefilter.ts"));
export const PREFILTER = { test: (text) => load().PREFILTER.test(text) };
