// The official SARIF 2.1.0 JSON schema (OASIS, draft-07, `$id` …/oasis-tcs/sarif-spec/…/sarif-schema-2.1.0.json),
// fetched at test set-up from the npm registry rather than written by hand: it ships as
// `dist/commands/sarif/json-schema/sarif-schema-2.1.0.json` in @datadog/datadog-ci 2.48.0 (which
// validates uploads with it). Pinned by version and by the file's SHA-256, cached under
// node_modules/.cache so a run downloads it once. No network or a changed file fails the test that
// asked for it (never a silent pass).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { REPO } from "./run.js";

const PACKAGE = "@datadog/datadog-ci@2.48.0";
const MEMBER = "package/dist/commands/sarif/json-schema/sarif-schema-2.1.0.json";
const SHA256 = "10666d46649b52e262001e70d43e6c52f7c0279ca3dbdfe9a7dc2e4071556454";
const CACHE = join(REPO, "node_modules", ".cache", "hookpack-test", "sarif-schema-2.1.0.json");

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The schema's text, from the cache or fetched now (throws with the reason when it cannot be). */
export function sarifSchemaText(): string {
  if (existsSync(CACHE)) {
    const b = readFileSync(CACHE);
    if (sha(b) === SHA256) return b.toString("utf8");
  }
  const dir = mkdtempSync(join(tmpdir(), "hookpack-sarif-schema-"));
  try {
    execFileSync(
      "npm",
      ["pack", PACKAGE, "--pack-destination", dir, "--silent", "--ignore-scripts"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 },
    );
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
    execFileSync("tar", ["-xzf", join(dir, tgz), "-C", dir, MEMBER], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const b = readFileSync(join(dir, MEMBER));
    if (sha(b) !== SHA256)
      throw new Error(`the SARIF schema in ${PACKAGE} has SHA-256 ${sha(b)}, expected ${SHA256}`);
    mkdirSync(join(CACHE, ".."), { recursive: true });
    writeFileSync(CACHE, b);
    return b.toString("utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let validator: ValidateFunction | undefined;
/** An ajv validator for SARIF 2.1.0 (formats checked by hand: ajv-formats is not a dependency). */
export function sarifValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("uri", (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  });
  ajv.addFormat("uri-reference", (s: string) => {
    try {
      new URL(s, "file:///base/");
      return !/\s/.test(s);
    } catch {
      return false;
    }
  });
  ajv.addFormat("date-time", (s: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s),
  );
  validator = ajv.compile(JSON.parse(sarifSchemaText()) as object);
  return validator;
}

/** The schema errors of a SARIF text (empty when valid). */
export function sarifErrors(text: string): string[] {
  const v = sarifValidator();
  return v(JSON.parse(text))
    ? []
    : (v.errors ?? []).map(
        (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
      );
}
