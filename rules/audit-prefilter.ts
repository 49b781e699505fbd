// The hook prefilter for the audit log's default value filter (broker/audit.ts, through
// scripts/lazy-prefilter.mjs), as a bundle of its own (audit-prefilter.cjs): the hook passes its
// own prefilter to the audit and never loads this, so a hook call that appends an entry no longer
// reads and compiles the ~23 KB of tables audit.cjs carried for the other callers (pre-push,
// check-pack, the CLI, the broker), which load it on their first entry.
export { PREFILTER } from "./secretlint.js";
