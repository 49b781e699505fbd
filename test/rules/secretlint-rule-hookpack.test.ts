// hookpack's records offered as a secretlint rule (issue 17 item 4): through @secretlint/core, and
// through the real secretlint CLI (a devDependency) loading dist/secretlint-rule-hookpack.cjs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintSource } from "@secretlint/core";
import { describe, expect, it } from "vitest";
import { RULES } from "../../rules/detect.js";
import { creator } from "../../rules/secretlint-rule-hookpack.js";
import { fakeFor } from "../helpers/fake-secrets.js";
import { distBundle } from "../helpers/sandbox.js";

const root = join(import.meta.dirname, "..", "..");
const rule = (id: string) => RULES.find((r) => r.id === id)!;

describe("secretlint rule module", () => {
  it("reports the records' findings with exact ranges through @secretlint/core", async () => {
    const tokens = [
      "gcp-api-key",
      "anthropic-admin-api-key",
      "claude-code-oauth-token",
      "digitalocean-pat",
      "pypi-upload-token",
    ].map((id) => fakeFor(rule(id), 5));
    const content = tokens.map((t, i) => `KEY_${i}=${t}`).join("\n");
    const result = await lintSource({
      source: { content, filePath: "a.env", contentType: "text" },
      options: {
        config: { rules: [{ id: "hookpack", rule: creator }] },
        noPhysicFilePath: true,
        maskSecrets: false,
      },
    });
    expect(result.messages.map((m) => content.slice(m.range[0], m.range[1]))).toEqual(tokens);
  });

  it("loads in the secretlint CLI from dist/ and finds a token the preset misses", () => {
    const bin = join(root, "node_modules", ".bin", "secretlint");
    expect(existsSync(bin), "secretlint CLI (devDependency) is installed").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "hookpack-slrule-"));
    try {
      const token = fakeFor(rule("gcp-api-key"), 8);
      writeFileSync(join(dir, "a.txt"), `GOOGLE_API_KEY=${token}\n`);
      writeFileSync(
        join(dir, ".secretlintrc.json"),
        JSON.stringify({ rules: [{ id: distBundle("secretlint-rule-hookpack") }] }),
      );
      const r = spawnSync(
        bin,
        ["--secretlintrc", join(dir, ".secretlintrc.json"), "--format", "json", join(dir, "a.txt")],
        { encoding: "utf8", cwd: dir },
      );
      expect(r.status, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as Array<{
        messages: Array<{ range: [number, number] }>;
      }>;
      expect(report[0]!.messages).toHaveLength(1);
      expect(report[0]!.messages[0]!.range).toEqual([15, 15 + token.length]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
