// Item 6 of issue 17: every finding's span is the secret itself. Redacting the reported spans must
// leave no fragment of the secret of 6 characters or more — for every rule record, and for every
// secretlint rule whose raw span we confine (secretlint's AWS rule reports from the key's name).
// Plus parity: every secretlint finding on these corpora is covered by a hookpack finding.
import { describe, expect, it } from "vitest";
import { findings, merge, RULES } from "../../rules/detect.js";
import { lint } from "../../rules/secretlint-engine.js";
import { secretScanner, type Finding } from "../../rules/secretlint.js";
import { expandTemplate, fakeTokens } from "../helpers/fake-secrets.js";

const redact = (text: string, found: readonly Finding[]) => {
  let out = "";
  let at = 0;
  for (const f of [...found].sort((a, b) => a.start - b.start)) {
    if (f.start < at) continue;
    out += `${text.slice(at, f.start)}[REDACTED]`;
    at = f.end;
  }
  return out + text.slice(at);
};
/** 6-char fragments of `secret` that survive in `redacted` (ignoring ones the context holds anyway). */
const survivors = (secret: string, context: string, redacted: string) => {
  const out: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) {
    const frag = secret.slice(i, i + 6);
    if (redacted.includes(frag) && !context.includes(frag)) out.push(frag);
  }
  return out;
};

const CONTEXTS = [
  (v: string) => `value: ${v}\n`,
  (v: string) => `\u001b[1;31m${v}\u001b[0m\n`,
  (v: string) => `export TOKEN=${v}`,
  (v: string) => `{"key": "${v}"}`,
];
const slCorpus = () => {
  const out: Array<{ name: string; text: string; secret: string }> = [];
  for (const seed of [1, 2, 3]) {
    for (const [name, value] of Object.entries(fakeTokens(seed))) {
      for (const ctx of CONTEXTS) {
        if (name === "awsSecretAccessKey") {
          out.push({ name, text: `aws_secret_access_key = ${value}\n`, secret: value });
          out.push({ name, text: `AWS_SECRET_ACCESS_KEY="${value}"\n`, secret: value });
        } else
          out.push({
            name,
            text: ctx(value),
            secret: name === "postgresUrl" ? value.split(":")[2]!.split("@")[0]! : value,
          });
      }
    }
  }
  return out;
};

describe("the reported span is the secret", () => {
  it.each(RULES.map((r) => [r.id, r] as const))(
    "%s: redacting its findings leaves no 6-char fragment",
    (_id, rule) => {
      for (const [i, ex] of rule.examples.entries()) {
        const { text, token } = expandTemplate(rule, ex, 40 + i);
        const context = ex.replace(/\{token\}|\{json\}/g, "");
        const found = findings(text);
        expect(
          survivors(token.replace(/\\n/g, "\n"), context, redact(text, found)),
          `${rule.id} ${ex}`,
        ).toEqual([]);
      }
    },
  );

  it("secretlint's own spans, confined, leave no 6-char fragment (per preset rule)", async () => {
    const rulesSeen = new Set<string>();
    for (const { name, text, secret } of slCorpus()) {
      const raw = await lint(text, "tool-output.txt");
      if (raw.length === 0) continue;
      for (const f of raw) rulesSeen.add(f.ruleId);
      const confined = merge(text, [], raw);
      expect(
        survivors(secret, "", redact(text, confined)),
        `${name}: ${raw.map((f) => f.ruleId).join(",")}`,
      ).toEqual([]);
    }
    expect(rulesSeen.size).toBeGreaterThanOrEqual(12);
  });

  it("the AWS secret access key is redacted whole through the scanner (the bug the issue reports)", async () => {
    const { awsSecretAccessKey } = fakeTokens(9);
    for (const text of [
      `aws_secret_access_key = ${awsSecretAccessKey}`,
      `AWS_SECRET_ACCESS_KEY=${awsSecretAccessKey}\n`,
      `aws_secret_access_key: "${awsSecretAccessKey}"`,
    ]) {
      const found = await secretScanner.scan(text);
      expect(found.map((f) => text.slice(f.start, f.end))).toEqual([awsSecretAccessKey]);
      expect(survivors(awsSecretAccessKey, "", redact(text, found))).toEqual([]);
    }
  });
});

describe("parity with secretlint's preset", () => {
  it("every secretlint finding on the corpora is covered by a hookpack finding", async () => {
    const uncovered: string[] = [];
    const texts = [
      ...slCorpus().map((c) => c.text),
      ...RULES.flatMap((r) => r.examples.map((ex, i) => expandTemplate(r, ex, 60 + i).text)),
    ];
    let compared = 0;
    for (const text of texts) {
      const raw = await lint(text, "tool-output.txt");
      if (raw.length === 0) continue;
      const own = findings(text);
      for (const f of merge(text, [], raw)) {
        compared++;
        if (!own.some((o) => o.start < f.end && f.start < o.end))
          uncovered.push(`${f.ruleId}/${f.messageId}: ${JSON.stringify(text.slice(0, 60))}`);
      }
    }
    expect(compared).toBeGreaterThan(50);
    expect(uncovered).toEqual([]);
  });
});
