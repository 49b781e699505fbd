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

import { ruleById } from "../rules/detect.js";

const INFO_URI = "https://www.npmjs.com/package/hookpack";

/** A SARIF rule descriptor: from hookpack's rule record when the id is one, else from the message. */
function ruleDescriptor(id: string, items: readonly ReportItem[]) {
  const record = ruleById(id);
  if (!record) return { id, name: id, shortDescription: { text: items.find((i) => i.ruleId === id)!.message.split(":")[0]! } };
  const help = `${record.label} (${record.provider}). What to do: remove the value from the file and its history, then rotate it. ${record.rotate.steps} Store the new value with \`hookpack secret set ${record.secretName}\` and refer to it as $secret:${record.secretName}.`;
  return {
    id,
    name: id,
    shortDescription: { text: record.label },
    fullDescription: { text: `${record.label}: a ${record.kind === "generic" ? "generic secret-looking assignment (weak: a guess)" : `${record.provider} credential`}${record.validator ? `, checked by ${record.validator}` : ""}.` },
    help: { text: help, markdown: `**${record.label}** (${record.provider})\n\n${record.rotate.steps}${record.rotate.url ? `\n\nRotate at: ${record.rotate.url}` : ""}\n\nThen \`hookpack secret set ${record.secretName}\` and use \`$secret:${record.secretName}\`.` },
    ...(record.rotate.url ? { helpUri: record.rotate.url } : record.docs ? { helpUri: record.docs } : {}),
    properties: { tags: ["security", "secret", record.provider], "security-severity": { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" }[record.severity], precision: record.kind === "generic" ? "low" : record.validator ? "very-high" : "high" },
  };
}

/** SARIF 2.1.0 with one run; `partialFingerprints` carry our value hashes for deduplication. */
export function toSarif(items: readonly ReportItem[], version: string, category: string): string {
  const ruleIds = [...new Set(items.map((i) => i.ruleId))].sort();
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "hookpack",
            version,
            informationUri: INFO_URI,
            rules: ruleIds.map((id) => ruleDescriptor(id, items)),
          },
        },
        automationDetails: { id: `hookpack/${category}/` },
        results: items.map((i) => ({
          ruleId: i.ruleId,
          ruleIndex: ruleIds.indexOf(i.ruleId),
          level: i.level,
          message: { text: i.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(i.path.replace(/\\/g, "/").replace(/^\/+/, "")) },
                ...(i.line !== undefined ? { region: { startLine: i.line, ...(i.column !== undefined ? { startColumn: i.column } : {}) } } : {}),
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

const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
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
