// The before-tool (PreToolUse) rules, as one bundle of their own (scripts/build.mjs): the read
// guard and its shell walker, the state guard, the `$secret:` rewriter, the push/publish gate and
// the literal-value check are ~70 KB that no other event runs. rules/before-tool-lazy.ts lists
// them as lazy stand-ins (same id, summary and events, same order) that load this bundle on a
// call's first before-tool event, so a PostToolUse, prompt or session call neither reads nor
// compiles them. hook.cjs is built with this module in place of the stand-ins (scripts/build.mjs).
// test/hooks/hook-lean.test.ts holds the stand-ins to the rules they load.
export { denyLiteralSecrets } from "./deny-literal-secrets.js";
export { rewriteSecretRefs } from "./rewrite-secret-refs.js";
export { protectHookpackState } from "./protect-state.js";
export { guardReads } from "./read-guard.js";
export { gatePushPublish } from "./gate-push-publish.js";
