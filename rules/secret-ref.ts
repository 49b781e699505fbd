// The reference syntax, `$secret:NAME` or `${secret:NAME}`: a tiny module of its own so the hook's
// hot path can test for a reference without loading the shell scanner.

/** Some reference, anywhere in a text (quoted or not). */
export const REF_ANYWHERE = /\$\{?secret:[A-Za-z_]/;

/** A capability request, `$cap:NAME` (rules/capability-refs.ts), anywhere in a text. */
export const CAP_ANYWHERE = /\$\{?cap:/;
