// Where the hook runtime lives, and the exact command an agent's config calls.
//
// Never npx: it resolves the registry on every tool call and breaks once its cache is cleaned.
// - Project scope with hookpack as a dependency of the project: the project's own copy,
//   `node "$CLAUDE_PROJECT_DIR/node_modules/hookpack/dist/hookpack.cjs"`, so the committed
//   settings file works for every teammate after `npm install` (guarded by a file test that
//   blocks with a one-line reason while the package is missing).
// - Otherwise: a stable per-user copy of the self-contained bundles under
//   $HOOKPACK_HOME/runtime/<version>/, run by the absolute path of the node that installed it
//   (GUI-launched agents often have a PATH without node), through a launcher that verifies the
//   runtime before any of it runs (RUNTIME_LAUNCHER below).
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FileChange } from "./plan.js";
import { readIfExists } from "./plan.js";
import { doubleQuote } from "../core/shell-quote.js";

export interface RuntimeChoice {
  /** The command prefix, to which " hook <agent>" is appended (the user runtime's goes through the verifying launcher). */
  command: string;
  /** The same without the launcher (git's pre-push hook and prepublishOnly, which match it by shape). */
  plainCommand: string;
  kind: "project-dependency" | "user-runtime";
  /** Files to copy for a user runtime. */
  changes: FileChange[];
}

/** What the project-scope hook command says when the package is not installed (no quote characters). */
export const MISSING_PACKAGE =
  "hookpack: this tool call was blocked unchecked: hookpack is not installed in this project (node_modules/hookpack is missing). Run npm install; or, to stop using hookpack, remove its hook entries from the agent settings (next time run hookpack uninstall before npm uninstall).";

export function isProjectDependency(root: string): boolean {
  const manifest = readIfExists(join(root, "package.json"));
  if (!manifest) return false;
  try {
    const pkg = JSON.parse(manifest) as Record<string, Record<string, string> | undefined>;
    const declared = ["dependencies", "devDependencies", "optionalDependencies"].some(
      (k) => pkg[k]?.hookpack !== undefined,
    );
    return (
      declared &&
      readIfExists(join(root, "node_modules", "hookpack", "dist", "hookpack.cjs")) !== null
    );
  } catch {
    return false;
  }
}

/** The runtime's manifest: every bundle's sha256 and size, written by install beside the bundles. */
export const RUNTIME_MANIFEST = "runtime-manifest.json";
/** Stat fingerprints of bundles already verified by hash (written by the launcher; see below). */
export const RUNTIME_SEAL = ".runtime-seal.json";

/**
 * The launcher, run as `node -e <launcher> <runtime>/hookpack.cjs hook <agent>` (so the agent's
 * settings hold it, not a file the runtime directory could swap). Before any hookpack code runs:
 *   1. hookpack.cjs and the manifest are read and hashed together (sha256, 9 KB); the digest must
 *      equal the one install wrote into the command itself (`@ANCHOR@`), unless their stat
 *      fingerprints equal those recorded (in the seal) when that digest was last checked. A
 *      symlinked entry or manifest, or any change to either, fails here.
 *   2. every bundle listed is lstat'ed: it must be a regular file (no symlink). Its (inode, size,
 *      mtime, ctime) must equal the fingerprint recorded when its full sha256 was last verified
 *      against the manifest (the seal); otherwise it is hashed now and must match the manifest,
 *      and the seal is updated. ctime cannot be set back by the user, so a change with the mtime
 *      restored is still caught, and a replaced file has a new inode.
 *   3. anything else blocks the call: exit 2 with a reason naming files, never content.
 *   4. the entry runs from the text read in step 1 (compiled as a CommonJS module, as `require`
 *      would), not re-read by path: when it is hashed, the text hashed is the text run (no
 *      second read to race). Entry and manifest are read as UTF-8 text, the one read Node's own
 *      loader uses (a Buffer read and its decoding were 0.14 ms CPU more per call); the anchor is
 *      over the text's UTF-8, which install computed over the same text, and Node's realpath walk of the main path (a stat per component,
 *      ≈1 ms) is skipped. `module` is the `-e` script's own CommonJS module, so
 *      `module.constructor` is Node's Module class without loading node:module.
 * The seal holds each bundle's fingerprint as the four numbers, compared as numbers (formatting
 * two doubles per bundle into a string cost 0.1 ms CPU per call); a seal of another shape simply
 * does not match, and the bundles are hashed once more.
 * Cost per call: the manifest and the seal read, one lstat per bundle, no hashing (node:crypto
 * is not even loaded) while nothing changed (bench/run.mjs); the first call after install hashes
 * every bundle once. The word c-r-y-p-t-o never appears whole in the launcher's text: Node's `-e`
 * wraps any source matching /\bcrypto\b/ in `require('node:crypto')` (eval_string.js, for the old
 * meaning of that global), which loads node:crypto and the stream modules on every call (≈4 ms).
 * Trade-off: the seal is a file in the runtime
 * directory; an attacker who can change a bundle (the entry included) AND write a matching seal (two writes inside
 * hookpack's directory, which the state protection refuses to the agent's tools) gets past step 2
 * until `hookpack doctor`, which hashes every bundle in full. No `"`, `$`, backtick or backslash:
 * it is shell-quoted into the agent's settings.
 */
const RUNTIME_LAUNCHER = [
  "const f=require('fs'),p=process.argv[1],d=require('path').dirname(p),mp=d+'/" +
    "runtime-manifest.json" +
    "',sp=d+'/" +
    ".runtime-seal.json" +
    "';",
  "const no=(w)=>{process.stderr.write('hookpack: this call was blocked unchecked: the hook runtime in '+d+' is not what hookpack install wrote ('+w+'). Run hookpack doctor in a terminal, then hookpack install again to restore it.'+String.fromCharCode(10));process.exit(2)};",
  "const h=()=>require('cry'+'pto').createHash('sha256');",
  "const k=(q,n)=>{let st;try{st=f.lstatSync(q)}catch(x){no(n+' is missing')}if(!st.isFile())no(n+' is not a regular file');return [st.ino,st.size,st.mtimeMs,st.ctimeMs]};",
  "let m,t;try{t=f.readFileSync(mp,'utf8');m=JSON.parse(t)}catch(x){no('its manifest is missing or unreadable')}",
  "let s={},w=0;try{s=JSON.parse(f.readFileSync(sp,'utf8'))}catch(x){}",
  "const a='@ANCHOR@|'+k(p,'hookpack.cjs').join(':')+'|'+k(mp,'the manifest').join(':');",
  "const e=f.readFileSync(p,'utf8');",
  "if(s['@']!==a){if(h().update(e).update(t).digest('hex').slice(0,32)!=='@ANCHOR@')no('hookpack.cjs or its manifest changed');s['@']=a;w=1}",
  "for(const n of Object.keys(m.files)){const q=d+'/'+n,x=k(q,n),v=s[n];if(v&&v[0]===x[0]&&v[1]===x[1]&&v[2]===x[2]&&v[3]===x[3])continue;",
  "if(h().update(f.readFileSync(q)).digest('hex')!==m.files[n].sha256)no(n+' changed');s[n]=x;w=1}",
  "if(w)try{f.writeFileSync(sp+'.'+process.pid,JSON.stringify(s),{mode:384});f.renameSync(sp+'.'+process.pid,sp)}catch(x){}",
  "const M=module.constructor,o=new M(p,null);o.filename=p;o.paths=M._nodeModulePaths(d);M._cache[p]=o;o._compile(e,p);o.loaded=true",
].join("");

/** The manifest text for a set of bundles (name → content). */
export function runtimeManifest(bundles: ReadonlyMap<string, string>): string {
  const files: Record<string, { sha256: string; size: number }> = {};
  for (const [name, text] of [...bundles].sort(([a], [b]) => (a < b ? -1 : 1)))
    files[name] = {
      sha256: createHash("sha256").update(text).digest("hex"),
      size: Buffer.byteLength(text),
    };
  return `${JSON.stringify({ format: "hookpack-runtime", files }, null, 1)}\n`;
}

/** The digest the launcher checks: sha256 of the entry then the manifest, 32 hex digits. */
export function runtimeAnchor(entry: string, manifest: string): string {
  return createHash("sha256").update(entry).update(manifest).digest("hex").slice(0, 32);
}

/** The launcher with its anchor, ready to be shell-quoted. */
export function runtimeLauncher(anchor: string): string {
  return RUNTIME_LAUNCHER.split("@ANCHOR@").join(anchor);
}

/**
 * `doctor`'s check of the per-user runtime at `dir`: every bundle a regular file (no symlink) and
 * hashed in full against the manifest. Names what differs, never content; [] when sound or when
 * there is no manifest-bearing runtime there (older installs: `install` writes one).
 */
export function runtimeProblems(dir: string): string[] {
  if (!existsSync(join(dir, "hookpack.cjs"))) return [];
  const read = (p: string): Buffer | null => {
    try {
      return lstatSync(p).isFile() ? readFileSync(p) : null;
    } catch {
      return null;
    }
  };
  const problems = verifyRuntimeDir(dir, read);
  return problems.map((p) =>
    / is missing$/.test(p) && existsSync(join(dir, p.replace(/ is missing$/, "")))
      ? p.replace(/ is missing$/, " is not a regular file")
      : p,
  );
}

/**
 * `doctor`'s full check of an installed runtime: every bundle hashed against the manifest, and
 * the manifest against the anchor when one is given. Returns what differs (names, never content).
 */
export function verifyRuntimeDir(
  dir: string,
  read: (path: string) => Buffer | null,
  anchor?: string,
): string[] {
  const manifest = read(join(dir, RUNTIME_MANIFEST));
  if (!manifest) return [`${RUNTIME_MANIFEST} is missing`];
  let files: Record<string, { sha256: string; size: number }>;
  try {
    files = (JSON.parse(manifest.toString("utf8")) as { files: typeof files }).files;
  } catch {
    return [`${RUNTIME_MANIFEST} is not valid JSON`];
  }
  const problems: string[] = [];
  if (anchor) {
    const entry = read(join(dir, "hookpack.cjs"));
    if (
      !entry ||
      createHash("sha256").update(entry).update(manifest).digest("hex").slice(0, 32) !== anchor
    )
      problems.push("hookpack.cjs or the manifest differs from what install wrote");
  }
  for (const [name, want] of Object.entries(files)) {
    const got = read(join(dir, name));
    if (!got) problems.push(`${name} is missing`);
    else if (
      got.length !== want.size ||
      createHash("sha256").update(got).digest("hex") !== want.sha256
    )
      problems.push(`${name} changed`);
  }
  return problems;
}

/**
 * dist/hookpack.cjs is cli/entry-stub.cjs followed by the entry's code as a template literal,
 * which the stub compiles through a V8 code cache kept beside it (scripts/build.mjs). A runtime
 * copy takes no cache from beside its entry, so there the stub would only cost (≈0.2 ms CPU a
 * call): the runtime gets the entry's code itself, as the build had it before wrapping. The
 * literal's only escapes are `\\`, `` \` `` and `\${`, undone here; any other text is returned
 * as it is.
 */
export function plainEntry(text: string): string {
  const open = "\nconst MAIN = `";
  const start = text.indexOf(open);
  const end = text.lastIndexOf("`;\n(() => {");
  if (!text.startsWith("#!/usr/bin/env node\n") || start === -1 || end < start) return text;
  const literal = text.slice(start + open.length, end);
  return `#!/usr/bin/env node\n${literal.replace(/\\([\\`$])/g, "$1")}`;
}

export interface RuntimeOptions {
  root: string;
  hookpackHome: string;
  scope: "project" | "local" | "user";
  projectDirVariable: string | undefined;
  /** The directory holding the running bundles (dist/). */
  distDir: string;
  version: string;
  nodePath: string;
}

export function chooseRuntime(o: RuntimeOptions): RuntimeChoice {
  if (o.scope === "project" && o.projectDirVariable && isProjectDependency(o.root)) {
    const script = doubleQuote(`$${o.projectDirVariable}/node_modules/hookpack/dist/hookpack.cjs`, [
      o.projectDirVariable,
    ]);
    // After `npm uninstall hookpack`, or in a fresh clone before `npm install`, the file is missing:
    // say so in one line and block (exit 2), as the failure table does for a call that could not be
    // checked, instead of node's module-not-found stack and exit 1 (which agents let through).
    const command = `[ -f ${script} ] || { echo '${MISSING_PACKAGE}' >&2; exit 2; }; node ${script}`;
    return { kind: "project-dependency", command, plainCommand: command, changes: [] };
  }
  const target = join(o.hookpackHome, "runtime", o.version);
  const changes: FileChange[] = [];
  const bundles = new Map<string, string>();
  for (const name of readdirSync(o.distDir)
    .filter((f) => f.endsWith(".cjs"))
    .sort()) {
    const read = readIfExists(join(o.distDir, name));
    const after = name === "hookpack.cjs" && read !== null ? plainEntry(read) : read;
    const path = join(target, name);
    if (after === null) continue;
    bundles.set(name, after);
    if (path === join(o.distDir, name)) continue;
    changes.push({
      path,
      before: readIfExists(path),
      after,
      mode: 0o755,
      summary: `copy the hook runtime to ${path}`,
    });
  }
  const entry = bundles.get("hookpack.cjs");
  const plainCommand = `${doubleQuote(o.nodePath)} ${doubleQuote(join(target, "hookpack.cjs"))}`;
  if (entry === undefined || target === o.distDir)
    return { kind: "user-runtime", command: plainCommand, plainCommand, changes };
  // The manifest (every bundle's hash) and, in the command itself, the anchor of entry + manifest.
  const manifest = runtimeManifest(bundles);
  const manifestPath = join(target, RUNTIME_MANIFEST);
  changes.push({
    path: manifestPath,
    before: readIfExists(manifestPath),
    after: manifest,
    mode: 0o644,
    summary: `record the hook runtime's hashes in ${manifestPath}`,
  });
  return {
    kind: "user-runtime",
    command: `${doubleQuote(o.nodePath)} -e ${doubleQuote(runtimeLauncher(runtimeAnchor(entry, manifest)))} ${doubleQuote(join(target, "hookpack.cjs"))}`,
    plainCommand,
    changes,
  };
}
