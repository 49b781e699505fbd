// The hook runtime without the before-tool rules inlined: the same runHook and hookAnswer, built
// as hook-lean.cjs (scripts/build.mjs), which the entry loads for a call whose payload does not
// name a before-tool event (cli/bin.ts): a PostToolUse, prompt or session call then reads and
// compiles ~70 KB less. Its rule list is rules/index.ts DEFAULT_RULES, the very list hook.cjs runs:
// the before-tool rules are lazy stand-ins there, which load before-tool-rules.cjs if a before-tool
// event reaches this bundle after all, so a wrong choice of bundle costs time, never a rule.
export { hookAnswer, runHook } from "./run-hook.js";
