// Builds the published runtime: self-contained CommonJS bundles in dist/ (no runtime
// dependencies to install). Separate bundles keep the hook's hot path small: the `hookpack`
// entry loads only hook.cjs for `hookpack hook`, and secretlint lives in its own bundle that is
// required only when the prefilter hits.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import {
  chmodSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  mkdirSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// The detector records compile first: the hook prefilter, rule table and README table (scripts/gen-detectors.mjs).
{
  const { spawnSync } = await import("node:child_process");
  const gen = spawnSync(process.execPath, [join(root, "scripts", "gen-detectors.mjs")], {
    stdio: "inherit",
  });
  if (gen.status !== 0) throw new Error("build: scripts/gen-detectors.mjs failed");
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// Source module (without extension) → output bundle name.
const ENTRIES = {
  "cli/bin": "hookpack",
  "cli/main": "cli",
  // `hookpack pre-push` (git runs it on every push): the command and its scanners, not the whole CLI.
  "cli/pre-push-main": "pre-push",
  // `hookpack scan`: the command and its scanners (a scan's fixed start-up), not the whole CLI.
  "cli/scan-main": "scan",
  // `hookpack-shell`, the $SHELL replacement for agents without hooks (Aider).
  "cli/shell": "hookpack-shell",
  "hooks/run-hook": "hook",
  // The hook's fast allow stage (hooks/fast-allow.ts): the rules' own early-allow tests, no rule
  // engine; loaded by the entry before hook.cjs, which loads only when the stage hands a call on.
  "hooks/fast-allow": "fast-allow",
  "rules/secretlint-engine": "secretlint-engine",
  // hookpack's own detection rules and engine: loaded when the hook prefilter hits, or by bulk scans.
  "rules/detect": "detect-engine",
  // The same records as a secretlint rule (for secretlint CLI users); requires detect-engine.cjs.
  "rules/secretlint-rule-hookpack": "secretlint-rule-hookpack",
  // Loaded by the hook only when a call needs them (a reference, a file read, a session end, an
  // audit entry), so a plain allow neither parses nor evaluates them. core/errors is shared
  // so that every bundle throws and catches the same HookpackError class.
  "rules/policy": "policy",
  "rules/secret-refs": "secret-refs",
  "rules/shell-scan": "shell-scan",
  // Issue 14: where a command's words lead (globs, ~, symlinks), and the approved policy.
  "rules/state-paths": "state-paths",
  "broker/policy-approval": "policy-approval",
  "rules/read-guard-paths": "read-guard-paths",
  // The push/publish gate's scanners (git log -p, npm pack, tar): only for a command that pushes or publishes.
  "hooks/gate-push-publish-scan": "gate-push-publish-scan",
  "rules/state-catalog": "state-catalog",
  "rules/state-clean": "state-clean",
  "broker/audit": "audit",
  // The per-user broker process and its client (loaded only when a call needs a grant).
  "broker/daemon": "broker-daemon",
  "broker/client": "broker-client",
  // Issue 21: the entry's early `$secret:` rewrite request, sent before hook.cjs loads.
  "hooks/rewrite-early": "rewrite-early",
  // Capabilities ($cap:NAME, leases): loaded only for a call that asks for one.
  "rules/capability-refs": "capability-refs",
  "core/errors": "errors",
  // One bundle per agent adapter: the hook loads only its own (adapters/load.ts).
  "adapters/claude-code": "adapter-claude-code",
  "adapters/host": "adapter-host",
  "adapters/codex": "adapter-codex",
  "adapters/gemini": "adapter-gemini",
  "adapters/copilot": "adapter-copilot",
  "adapters/cline": "adapter-cline",
  "adapters/opencode": "adapter-opencode",
  "adapters/cursor": "adapter-cursor",
  "adapters/windsurf": "adapter-windsurf",
  "adapters/qwen": "adapter-qwen",
  "rules/policy-validate": "policy-validate",
  "adapters/claude-code-schemas": "claude-code-schemas",
  "adapters/codex-schemas": "codex-schemas",
  "adapters/gemini-schemas": "gemini-schemas",
  "adapters/copilot-schemas": "copilot-schemas",
  "adapters/cline-schemas": "cline-schemas",
  "adapters/opencode-schemas": "opencode-schemas",
  "adapters/cursor-schemas": "cursor-schemas",
  "adapters/windsurf-schemas": "windsurf-schemas",
  "adapters/qwen-schemas": "qwen-schemas",
};
/** The bundles that are programs (package.json "bin"): a shebang and mode 0755. */
const EXECUTABLES = ["hookpack", "hookpack-shell"];
const bySource = new Map(Object.entries(ENTRIES).map(([src, out]) => [join(root, src), out]));

/**
 * Entries a bundle inlines instead of requiring (h21-allow). The Claude Code hook is the most
 * frequent call: its adapter (and the Cursor check every Claude Code hook makes) live in hook.cjs
 * itself, so a plain allow loads two bundles fewer (-0.7 ms CPU per call, 80 interleaved rounds:
 * 30.5 -> 29.8 ms, `node -e 0` 23.3 ms). The other agents' adapters stay bundles of their own;
 * adapter-claude-code.cjs and adapter-host.cjs are still built for the CLI and the Cursor adapter.
 */
const INLINED = {
  hook: ["adapter-claude-code", "adapter-host"],
  "fast-allow": ["adapter-claude-code", "adapter-host"],
};

/** Imports of another entry's module stay imports of that bundle instead of being inlined. */
const splitEntries = (self) => ({
  name: "split-entries",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path).replace(/\.(js|ts)$/, "");
      const out = bySource.get(target);
      if (out && out !== self && !INLINED[self]?.includes(out))
        return { path: `./${out}.cjs`, external: true };
      return undefined;
    });
  },
});

const debugStub = join(root, "scripts", "debug-stub.cjs");

/**
 * The bundles on the hook's allow path (the entry, the fast allow stage) take node:os through
 * scripts/lazy-os.mjs, which requires it on first use: the allow path never calls it, and Node
 * compiling the module cost 0.2 ms CPU per call.
 */
const LAZY_OS = ["hookpack", "fast-allow"];

/**
 * The fast allow stage's copy of the prefilter tables (rules/detectors/prefilter.generated.ts) as
 * JSON.parse of one string each instead of array literals: the same data, but V8's code cache
 * then holds two strings instead of ~900 small ones, which it deserialised on every call (-0.14 ms
 * CPU deserialising, +0.10 parsing: 25 rounds). A table the pattern does not find stays a literal.
 */
const jsonTables = {
  name: "json-tables",
  setup(b) {
    b.onLoad({ filter: /prefilter\.generated\.ts$/ }, (args) => ({
      loader: "ts",
      contents: readFileSync(args.path, "utf8").replace(
        /^(export const (?:PREFILTER_LITERALS|PREFILTER_KEYWORDS)\b[^=\n]*= )(\[.*\]);$/gm,
        (_, head, json) => `${head}JSON.parse(${JSON.stringify(json)});`,
      ),
    }));
  },
};
const lazyOs = {
  name: "lazy-os",
  setup(b) {
    const shim = join(root, "scripts", "lazy-os.mjs");
    // The shim's own require of node:os stays Node's.
    b.onResolve({ filter: /^(node:)?os$/ }, (args) =>
      args.importer === shim ? { path: "node:os", external: true } : { path: shim },
    );
  },
};
/**
 * The audit bundle takes rules/secretlint.ts through scripts/lazy-prefilter.mjs, which evaluates it
 * on the first PREFILTER.test: the hook passes its own prefilter to the audit (looksSecret), and
 * evaluating this bundle's copy of the tables cost every hook call that appends an entry.
 */
const lazyPrefilter = {
  name: "lazy-prefilter",
  setup(b) {
    const shim = join(root, "scripts", "lazy-prefilter.mjs");
    b.onResolve({ filter: /\/rules\/secretlint\.js$/ }, (args) =>
      args.importer === shim ? undefined : { path: shim },
    );
  },
};
/** Replaced by the build id after every bundle is written (a fixed-length placeholder). */
const BUILD_ID_SLOT = "@@hookpack-build-id@@";

// Build beside dist/ and swap it in at the end, so a process running the old bundles (a test, an
// agent's hook) never finds dist/ half-written.
const stage = join(root, `dist.building-${process.pid}`);
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage);
const results = await Promise.all(
  Object.entries(ENTRIES).map(([src, out]) =>
    build({
      entryPoints: [join(root, `${src}.ts`)],
      outfile: join(stage, `${out}.cjs`),
      // HOOKPACK_BUILD_META=1: what each bundle holds, for hot-path work (.cache/meta-<bundle>.json).
      metafile: process.env.HOOKPACK_BUILD_META === "1",
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      minify: process.env.HOOKPACK_BUILD_MINIFY !== "0",
      legalComments: "none",
      banner: EXECUTABLES.includes(out) ? { js: "#!/usr/bin/env node" } : undefined,
      define: {
        HOOKPACK_VERSION: JSON.stringify(pkg.version),
        HOOKPACK_BUILD_ID: JSON.stringify(BUILD_ID_SLOT),
      },
      alias: { debug: debugStub },
      // Prefer ESM builds: jsonc-parser's UMD main uses dynamic requires a bundle cannot follow.
      mainFields: ["module", "main"],
      // Lower import() of the sibling bundles to require(): a real dynamic import would start
      // Node's ESM loader, which costs more than the whole hook on Node 20.
      supported: { "dynamic-import": false },
      // Native and optional: loaded lazily by broker/keys.ts, with a key-file fallback.
      external: ["@napi-rs/keyring"],
      plugins: [
        splitEntries(out),
        ...(LAZY_OS.includes(out) ? [lazyOs] : []),
        ...(out === "fast-allow" ? [jsonTables] : []),
        ...(out === "audit" ? [lazyPrefilter] : []),
      ],
      logLevel: "warning",
    }),
  ),
);
if (process.env.HOOKPACK_BUILD_META === "1") {
  mkdirSync(join(root, ".cache"), { recursive: true });
  Object.values(ENTRIES).forEach((out, i) =>
    writeFileSync(join(root, ".cache", `meta-${out}.json`), JSON.stringify(results[i].metafile)),
  );
}
// The build id: a hash of every bundle but the entry, written into the entry. The entry's code
// cache (cli/code-cache.ts) keys on it: V8 checks only a source's length, and npm gives every file
// of a package the same mtime, so an upgrade in place must change the key.
const buildHash = createHash("sha256");
for (const name of readdirSync(stage).sort())
  if (name !== "hookpack.cjs")
    buildHash
      .update(`${name}\0`)
      .update(readFileSync(join(stage, name)))
      .update("\0");
const entryPath = join(stage, "hookpack.cjs");
const entryText = readFileSync(entryPath, "utf8");
if (!entryText.includes(BUILD_ID_SLOT)) throw new Error("build: the entry has no build id slot");
{
  // The entry's code goes, as a template literal, after cli/entry-stub.cjs, which compiles it
  // through a V8 code cache of its own (see there; issue 21). Must be ASCII without CR, backquote
  // escapes aside, so that the literal's value is the text byte for byte.
  const main = entryText
    .split(BUILD_ID_SLOT)
    .join(buildHash.digest("hex").slice(0, 16))
    .replace(/^#!.*\n/, "");
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]|\r/.test(main)) throw new Error("build: the entry is not plain ASCII text");
  const stub = readFileSync(join(root, "cli", "entry-stub.cjs"), "utf8");
  if (!stub.includes("@@hookpack-entry-key@@") || !stub.includes("`@@hookpack-entry-main@@`"))
    throw new Error("build: cli/entry-stub.cjs has no slots");
  const literal = main.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");
  const text = `#!/usr/bin/env node\n${stub
    .replace(/^\s*\/\/.*\n/gm, "")
    .replace("@@hookpack-entry-key@@", createHash("sha256").update(main).digest("hex").slice(0, 24))
    .replace("@@hookpack-entry-main@@", () => literal)}`;
  writeFileSync(entryPath, text);
}
for (const out of EXECUTABLES) chmodSync(join(stage, `${out}.cjs`), 0o755);
const old = join(root, `dist.old-${process.pid}`);
try {
  renameSync(join(root, "dist"), old);
} catch {
  // First build: there is no dist/ yet.
}
renameSync(stage, join(root, "dist"));
rmSync(old, { recursive: true, force: true });
console.log(
  `hookpack: built dist/ (${Object.values(ENTRIES)
    .map((o) => `${o}.cjs`)
    .join(", ")})`,
);
