// The failed tests of a vitest JSON report, as short lines for the end of a CI log: a CI reader
// often keeps only the log's tail, and the dot reporter prints a failure's details far above it.
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";

/** Lines naming each failed test (file › title) with the first lines of its message; [] when none. */
export function failedTestLines(reportPath, label, maxLines = 4) {
  if (!existsSync(reportPath)) return [];
  let report;
  try {
    report = JSON.parse(readFileSync(reportPath, "utf8"));
  } catch {
    return [`${label}: the report ${reportPath} cannot be read`];
  }
  const lines = [];
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const failed = (file.assertionResults ?? []).filter((a) => a.status === "failed");
    // A file that failed before any test ran (an import error, a hook timeout) has no failed test.
    if (failed.length === 0 && file.status === "failed")
      lines.push(`${label}: FAILED ${name}: ${firstLines(file.message, maxLines)}`);
    for (const a of failed)
      lines.push(
        `${label}: FAILED ${name} › ${[...(a.ancestorTitles ?? []), a.title].join(" › ")} (${Math.round(a.duration ?? 0)} ms): ${firstLines((a.failureMessages ?? []).join("\n"), maxLines)}`,
      );
  }
  return lines;
}

function firstLines(text, n) {
  return (
    String(text ?? "")
      // eslint-disable-next-line no-control-regex -- colour codes in a failure message
      .replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, n)
      .join(" | ")
      .slice(0, 600)
  );
}
