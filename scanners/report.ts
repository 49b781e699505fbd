// Machine formats shared by check-pack and pre-push: SARIF 2.1.0 for code scanning, GitHub
// workflow commands for annotations. Pure: returns text; messages never hold values.

export interface ReportItem {
  ruleId: string;
  level: "error" | "warning";
  message: string;
  path: string;
  line?: number;
  column?: number;
  fingerprint?: string;
}

import { pathToFileURL } from "node:url";
import { isAbsolute, relative, sep } from "node:path";
import { RULES, ruleById } from "../rules/detect.js";
import type { DetectorRule } from "../rules/detectors/types.js";

// No `informationUri`: hookpack has no public page yet (not on npm, no public repository), and a
// URI that does not resolve is worse than none (issue 18 item 15). Add it with package.json's
// `homepage` when one exists.
/** The base every repository-relative URI is resolved against (GitHub code scanning knows it). */
const SRCROOT = "%SRCROOT%";

const SECURITY_SEVERITY = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" } as const;

/** A SARIF rule descriptor from hookpack's rule record: whole descriptions, help = where to rotate. */
function recordDescriptor(record: DetectorRule) {
  const what =
    record.kind === "generic"
      ? "a generic secret-looking assignment (weak: a guess, reported as a warning)"
      : `a ${record.provider} credential`;
  const check = record.validator ? `, confirmed by its ${record.validator} check` : "";
  const help = `${record.label} (${record.provider}). What to do: remove the value from the file and its history, then rotate it. ${record.rotate.steps}${record.rotate.url ? ` Rotate at: ${record.rotate.url}.` : ""} Store the new value with \`hookpack secret set ${record.secretName}\` and refer to it as $secret:${record.secretName}.`;
  return {
    id: record.id,
    name: record.id,
    shortDescription: { text: record.label },
    fullDescription: {
      text: `${record.label}: ${what}${check}. Suggested secret name: ${record.secretName}.`,
    },
    help: {
      text: help,
      markdown: `**${record.label}** (${record.provider})\n\n${record.rotate.steps}${record.rotate.url ? `\n\nRotate at: ${record.rotate.url}` : ""}\n\nThen \`hookpack secret set ${record.secretName}\` and use \`$secret:${record.secretName}\`.`,
    },
    ...(record.rotate.url
      ? { helpUri: record.rotate.url }
      : record.docs
        ? { helpUri: record.docs }
        : {}),
    defaultConfiguration: {
      level: record.kind === "generic" || record.confidence === "weak" ? "warning" : "error",
    },
    properties: {
      tags: ["security", "secret", record.provider],
      "security-severity": SECURITY_SEVERITY[record.severity],
      precision: record.kind === "generic" ? "low" : record.validator ? "very-high" : "high",
    },
  };
}

/** A descriptor for a finding that is not a detector record (a packed agent file, an archive oddity). */
function otherDescriptor(id: string, items: readonly ReportItem[]) {
  const first = items.find((i) => i.ruleId === id)!;
  return {
    id,
    name: id,
    shortDescription: { text: first.message },
    fullDescription: { text: first.message },
    help: {
      text: `${first.message}. See \`hookpack check-pack --help\` and \`hookpack scan --help\`.`,
    },
    defaultConfiguration: { level: first.level },
    properties: { tags: ["security"] },
  };
}

/** The record id a finding's rule id names (state scans prefix engine ids with `secretlint/`). */
function recordId(id: string): string {
  if (ruleById(id)) return id;
  const bare = id.replace(/^secretlint\//, "");
  return ruleById(bare) ? bare : id;
}

export interface SarifOptions {
  /** The repository (or scan) root: absolute paths under it become `%SRCROOT%`-relative URIs. */
  root?: string;
}

/** A finding's location: repository-relative with `uriBaseId` where it can be, else an absolute file URI. */
function artifactLocation(
  path: string,
  root: string | undefined,
): { uri: string; uriBaseId?: string } {
  const p = path.replace(/\\/g, "/");
  if (isAbsolute(path)) {
    const rel = root ? relative(root, path) : undefined;
    if (rel !== undefined && rel !== "" && !rel.startsWith("..") && !isAbsolute(rel))
      return { uri: encodeURI(rel.split(sep).join("/")), uriBaseId: SRCROOT };
    return { uri: pathToFileURL(path).href };
  }
  return { uri: encodeURI(p.replace(/^\.\//, "")), uriBaseId: SRCROOT };
}

/**
 * SARIF 2.1.0 with one run. `tool.driver.rules` lists every detector record (so code scanning
 * knows each rule and its help before it first fires) plus the non-record rules that fired;
 * `partialFingerprints` carry our value hashes for deduplication.
 */
export function toSarif(
  items: readonly ReportItem[],
  version: string,
  category: string,
  options: SarifOptions = {},
): string {
  const normalized = items.map((i) => ({ ...i, ruleId: recordId(i.ruleId) }));
  const others = [...new Set(normalized.map((i) => i.ruleId).filter((id) => !ruleById(id)))].sort();
  const rules = [
    ...RULES.map(recordDescriptor),
    ...others.map((id) => otherDescriptor(id, normalized)),
  ];
  const index = new Map(rules.map((r, n) => [r.id, n]));
  const root = options.root;
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "hookpack",
            version,
            semanticVersion: version,
            rules,
          },
        },
        automationDetails: { id: `hookpack/${category}/` },
        ...(root
          ? {
              originalUriBaseIds: {
                [SRCROOT]: {
                  uri: pathToFileURL(root.endsWith("/") ? root : `${root}/`).href,
                  description: { text: "The root of the scanned repository or package." },
                },
              },
            }
          : {}),
        results: normalized.map((i) => ({
          ruleId: i.ruleId,
          ruleIndex: index.get(i.ruleId)!,
          level: i.level,
          message: { text: i.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifactLocation(i.path, root),
                ...(i.line !== undefined
                  ? {
                      region: {
                        startLine: i.line,
                        ...(i.column !== undefined ? { startColumn: i.column } : {}),
                      },
                    }
                  : {}),
              },
            },
          ],
          ...(i.fingerprint ? { partialFingerprints: { "hookpackValue/v1": i.fingerprint } } : {}),
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

const escapeData = (s: string) =>
  s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** GitHub Actions workflow commands (`::error file=…,line=…::message`), one per finding. */
export function toGithub(items: readonly ReportItem[], title = "hookpack"): string {
  return items
    .map((i) => {
      const props = [`file=${escapeProperty(i.path)}`];
      if (i.line !== undefined) props.push(`line=${i.line}`);
      if (i.column !== undefined) props.push(`col=${i.column}`);
      props.push(`title=${escapeProperty(`${title}: ${i.ruleId}`)}`);
      return `::${i.level} ${props.join(",")}::${escapeData(i.message)}\n`;
    })
    .join("");
}
