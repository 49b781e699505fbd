// The rule records as a table: every rule's examples are found with the exact span, its
// near-misses and a placeholder corpus never produce a deniable finding, checksum formats turn
// weak under a one-character change, every example passes the hook prefilter, and the generated
// files (prefilter, rule table, README table) are current.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detect, findings, RULES } from "../../rules/detect.js";
import { PREFILTER } from "../../rules/secretlint.js";
import { alphabetOf, expandTemplate, fakeFor } from "../helpers/fake-secrets.js";
import type { DetectorRule } from "../../rules/detectors/types.js";

const root = join(import.meta.dirname, "..", "..");
const isWeak = (r: DetectorRule) => r.confidence === "weak" || r.kind === "generic";

/** Placeholder bodies for a rule: x-fill, zero-fill, sequences, repeats, EXAMPLE, your…here, templates. */
export function placeholderCorpus(rule: DetectorRule): string[] {
  const n = Math.max(rule.body.min, 8);
  const seq = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(8).slice(0, n);
  const fill = (body: string) => {
    if (!rule.shape) return body;
    let used = false;
    return rule.shape
      .map((p) => {
        if (typeof p === "string") return p;
        if (!used && p.min === rule.body.min && p.cls === rule.body.cls) {
          used = true;
          return body.slice(0, p.min);
        }
        return body.slice(0, p.min).padEnd(p.min, body[0]);
      })
      .join("");
  };
  const bodies = [
    "x".repeat(n),
    "X".repeat(n),
    "0".repeat(n),
    seq,
    seq.toUpperCase(),
    "abcd".repeat(n).slice(0, n),
    ...(n >= 12 ? [`${"A".repeat(n - 7)}EXAMPLE`] : []),
    `your_token_here_${"x".repeat(n)}`.slice(0, n),
    `\${${"TOKEN_VALUE_".repeat(4)}}`.slice(0, n),
    `<your-${"key".repeat(n)}`.slice(0, n - 1) + ">",
    `{{ ${"secrets.TOKEN".repeat(3)}`.slice(0, n - 3) + " }}",
  ];
  return bodies.map(fill);
}

describe.each(RULES.map((r) => [r.id, r] as const))("rule %s", (_id, rule) => {
  it("finds every example with the exact span and the record's grade", () => {
    expect(rule.examples.length).toBeGreaterThan(0);
    for (const seed of [1, 2, 3]) {
      for (const template of rule.examples) {
        const { text, token } = expandTemplate(rule, template, seed);
        const found = findings(text);
        const mine = found.find((f) => f.ruleId === rule.id);
        expect(
          mine,
          `${rule.id}: example ${JSON.stringify(template)} (seed ${seed}) not found; found ${found.map((f) => f.ruleId).join(",")}`,
        ).toBeDefined();
        const span = text.slice(mine!.start, mine!.end);
        if (template.includes("{json}")) expect(span).toContain(JSON.stringify(token).slice(1, 40));
        else expect(span).toBe(token);
        if (!isWeak(rule))
          expect(mine!.confidence, `${rule.id} graded weak on a valid example`).not.toBe("weak");
        expect(PREFILTER.test(text), `${rule.id}: example misses the hook prefilter`).toBe(true);
      }
    }
  });

  it("never grades a near-miss or a placeholder likely or confirmed", () => {
    for (const template of rule.negatives) {
      const { text } = expandTemplate(rule, template, 5);
      const strong = detect(text).filter((d) => d.confidence !== "weak");
      expect(
        strong.map((d) => `${d.rule.id}:${text.slice(d.start, d.end)}`),
        `${rule.id}: negative ${JSON.stringify(template)}`,
      ).toEqual([]);
    }
    for (const body of placeholderCorpus(rule)) {
      for (const text of [body, `TOKEN="${body}"`, `${rule.secretName}=${body}`]) {
        const strong = detect(text).filter((d) => d.confidence !== "weak");
        expect(
          strong.map((d) => `${d.rule.id}:${text.slice(d.start, d.end)}`),
          `${rule.id}: placeholder ${JSON.stringify(text)}`,
        ).toEqual([]);
      }
    }
  });

  it("has the record fields a finding needs", () => {
    expect(rule.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(rule.label.length).toBeGreaterThan(3);
    expect(rule.secretName).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(rule.rotate.steps.length).toBeGreaterThan(10);
    expect(rule.anchors.length).toBeGreaterThan(0);
    expect(alphabetOf(rule.body.cls).length).toBeGreaterThan(1);
  });
});

describe("checksums", () => {
  const checked = RULES.filter((r) =>
    ["github-crc32", "npm-crc32", "grafana-sa-crc32", "atlassian-crc32", "bech32"].includes(
      r.validator ?? "",
    ),
  );

  it.each(checked.map((r) => [r.id, r] as const))(
    "%s: a valid token is confirmed, every 1-char change of its checksum is weak or dropped",
    (_id, rule) => {
      const token = fakeFor(rule, 9);
      expect(findings(token).find((f) => f.ruleId === rule.id)?.confidence).toBe("confirmed");
      const alphabet = alphabetOf(rule.body.cls);
      for (let i = token.length - 6; i < token.length; i++) {
        const c = token[i]!;
        const other = alphabet
          .split("")
          .find((a) => a !== c && a.toLowerCase() !== c.toLowerCase())!;
        const mutated = token.slice(0, i) + other + token.slice(i + 1);
        const f = findings(mutated).find((x) => x.ruleId === rule.id);
        if (f) expect(f.confidence, `${rule.id} mutated at ${i}`).toBe("weak");
      }
    },
  );

  it("property: bodies generated from each checksum record are confirmed in every context", () => {
    const contexts = [
      (t: string) => t,
      (t: string) => `export TOKEN=${t}`,
      (t: string) => `{"token":"${t}"}`,
      (t: string) => `token: ${t}`,
      (t: string) => `curl -H "Authorization: Bearer ${t}" https://x.invalid`,
      (t: string) => `cat <<EOF\n${t}\nEOF`,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...checked),
        fc.constantFrom(...contexts),
        (seed, rule, ctx) => {
          const token = fakeFor(rule, seed);
          const text = ctx(token);
          const f = findings(text).find((x) => x.ruleId === rule.id);
          return (
            f !== undefined && f.confidence === "confirmed" && text.slice(f.start, f.end) === token
          );
        },
      ),
      { numRuns: 300, seed: 20261206 },
    );
  });
});

describe("property: generated bodies", () => {
  it("every prefix rule finds tokens generated from its shape in realistic contexts", () => {
    const prefix = RULES.filter(
      (r) => r.kind === "prefix" && !isWeak(r) && r.examples.includes("{token}"),
    );
    const contexts = [
      (t: string) => t,
      (t: string) => `export X=${t}`,
      (t: string) => `{"k": "${t}"}`,
      (t: string) => `key: '${t}'`,
      (t: string) => `X=${t}\n`,
      (t: string) => `cat <<'EOF'\n${t}\nEOF`,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...prefix),
        fc.constantFrom(...contexts),
        (seed, rule, ctx) => {
          const token = fakeFor(rule, seed);
          const text = ctx(token);
          const f = findings(text).find(
            (x) => x.start === text.indexOf(token) && x.end === text.indexOf(token) + token.length,
          );
          return f !== undefined && PREFILTER.test(text);
        },
      ),
      { numRuns: 500, seed: 20261206 },
    );
  });
});

describe("generated files", () => {
  it("index, prefilter, rule table and README table are current", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "gen-detectors.mjs"), "--check"], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("covers the providers the issue names", () => {
    const providers = new Set(RULES.map((r) => r.provider));
    for (const p of [
      "GitHub",
      "GitLab",
      "AWS",
      "Google",
      "Anthropic",
      "OpenAI",
      "Slack",
      "Stripe",
      "npm",
      "PyPI",
      "RubyGems",
      "Docker",
      "DigitalOcean",
      "Heroku",
      "Azure",
      "Twilio",
      "Telegram",
      "Discord",
      "Sentry",
      "Datadog",
      "Vercel",
      "Supabase",
      "Tailscale",
      "Hugging Face",
      "Groq",
      "xAI",
      "JSON Web Token",
      "HTTP",
      "Kubernetes",
      "Generic",
    ])
      expect(providers.has(p), p).toBe(true);
    expect(providers.size).toBeGreaterThanOrEqual(110);
    const ids = new Set(RULES.map((r) => r.id));
    for (const id of [
      "claude-code-oauth-token",
      "claude-code-oauth-refresh-token",
      "anthropic-admin-api-key",
      "gcp-api-key",
      "authorization-header",
      "curl-auth-user",
      "url-credentials",
      "generic-api-key",
      "pkcs12-file",
      "kubernetes-secret-yaml",
      "jwt",
      "private-key",
    ])
      expect(ids.has(id), id).toBe(true);
  });
});
