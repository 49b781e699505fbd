// h21-scanrest: cleanStateFile reads files up to 4 MB into one buffer reused file after file
// (rules/state-clean.ts readPooled). Each file must be read whole and alone: nothing of the file
// read before may show through (a short file after a long one), a file larger than the pool is
// read whole, and a UTF-16 file is still read decoded and as its bytes are. Findings are compared
// with what the same finder finds in the file's own bytes (readFileSync).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretScanner, warmUpPrefilter, type SecretScanner } from "../../rules/secretlint.js";
import { cleanStateFile, makeFinder } from "../../rules/state-clean.js";
import { fixStateText } from "../../rules/state-fix.js";
import { fakeTokens } from "../helpers/fake-secrets.js";

const bulk: SecretScanner = { ...secretScanner, mayContainSecret: () => true };
const dir = mkdtempSync(join(tmpdir(), "hookpack-pooled-"));
beforeAll(() => warmUpPrefilter());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const filler = (n: number) =>
  "const a = 1; // plain code line\n".repeat(Math.ceil(n / 32)).slice(0, n);

describe("pooled file reads", () => {
  it("each file is read whole and alone, in any order of sizes", async () => {
    const T = fakeTokens(77);
    // file → its content and the values in it.
    const files: Array<[string, string | Buffer, string[]]> = [
      ["long.txt", `${filler(3_000_000)}\nexport GITHUB_TOKEN=${T.github}\n`, [T.github]],
      ["short.txt", "short\n", []],
      ["over-pool.txt", `${filler(5 * 1024 * 1024)}\nNPM_TOKEN=${T.npm}\n`, [T.npm]],
      ["short-after-big.txt", `x=${T.stripe}\n`, [T.stripe]],
      ["empty.txt", "", []],
      [
        "utf16.txt",
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`K=${T.gitlab}\r\n`, "utf16le")]),
        [T.gitlab],
      ],
      ["after-utf16.json", JSON.stringify({ a: "nothing at all" }), []],
      ["utf8.txt", `é中文 ${T.slackBot} 😀\n`, [T.slackBot]],
    ];
    let total = 0;
    for (const [name, body, expected] of files) {
      const path = join(dir, name);
      writeFileSync(path, body);
      const find = makeFinder(bulk, undefined, path);
      const r = await cleanStateFile(path, undefined, find, false);
      const bytes = readFileSync(path);
      const want = bytes.subarray(0, 8192).includes(0)
        ? undefined
        : await fixStateText(
            bytes.toString("utf8"),
            name.endsWith(".json") ? "json" : "text",
            "report",
            find,
          );
      if (want) expect(r.findings, name).toEqual(want.findings);
      total += r.findings.length;
      expect(
        r.findings.map((f) => f.value),
        name,
      ).toEqual(expected);
    }
    expect(total).toBe(5);
  });
});
