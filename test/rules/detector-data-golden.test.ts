// The detector records as data: what each provider file declares (ids, labels, regex sources,
// flags, validators, severities, secret names, rotation advice, shapes, examples and negatives),
// compared with the recorded golden file. It proves a reshaping of the data files (shared shapes
// and helpers) changed no detector. `UPDATE_GOLDEN=1` rewrites the JSON.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../rules/detectors/index.js";
import { REPO } from "../helpers/run.js";

const GOLDEN = join(REPO, "test", "fixtures", "detector-data-golden.json");

describe("the detector records are the recorded ones", () => {
  it("every record's declared fields, in order", () => {
    const data = RULES.map((r) => ({
      id: r.id,
      provider: r.provider,
      label: r.label,
      kind: r.kind,
      regex: r.regex,
      ignoreCase: r.ignoreCase ?? false,
      validator: r.validator ?? null,
      onInvalid: r.onInvalid ?? null,
      confidence: r.confidence ?? null,
      severity: r.severity,
      secretName: r.secretName,
      rotate: r.rotate,
      docs: r.docs ?? null,
      shape: r.shape ?? null,
      body: r.body,
      stopwords: r.stopwords ?? null,
      // As a digest: a negative can look like an assignment to a secret scanner reading the JSON.
      samples: createHash("sha256")
        .update(JSON.stringify([r.examples, r.negatives]))
        .digest("hex"),
    }));
    const text = `${JSON.stringify(data, null, 1)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
    expect(data.length).toBeGreaterThan(250);
    expect(new Set(data.map((d) => d.id)).size).toBe(data.length);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });
});
