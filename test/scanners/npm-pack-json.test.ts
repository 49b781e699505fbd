// `npm pack --json` output shapes: npm <= 11 prints an array, npm 12 an object keyed by name.
import { describe, expect, it } from "vitest";
import { parseNpmPackJson, resolvePackSource } from "../../scanners/pack.js";

const entry = {
  id: "p@1.0.0",
  name: "p",
  version: "1.0.0",
  filename: "p-1.0.0.tgz",
  files: [{ path: "index.js", size: 1, mode: 420 }],
};

describe("parseNpmPackJson", () => {
  it("reads the npm 11 array and the npm 12 keyed object alike", () => {
    expect(parseNpmPackJson(JSON.stringify([entry]))).toEqual([
      { name: "p", version: "1.0.0", filename: "p-1.0.0.tgz", files: entry.files },
    ]);
    expect(parseNpmPackJson(JSON.stringify({ p: entry }))).toEqual(
      parseNpmPackJson(JSON.stringify([entry])),
    );
  });

  it("skips lifecycle output printed before the JSON and reports npm's own error", () => {
    expect(
      parseNpmPackJson(`PREPACK-RAN\nPREPARE-RAN\n${JSON.stringify([entry], null, 2)}`)[0]!
        .filename,
    ).toBe("p-1.0.0.tgz");
    expect(() =>
      parseNpmPackJson(JSON.stringify({ error: { summary: "boom", detail: "" } })),
    ).toThrow(/npm pack failed: boom/);
    expect(() => parseNpmPackJson("not json")).toThrow(/not JSON/);
  });

  it("tells a path from a package spec", () => {
    expect(resolvePackSource("left-pad@1.3.0", "/nonexistent")).toEqual({
      kind: "spec",
      spec: "left-pad@1.3.0",
    });
    expect(resolvePackSource("@scope/pkg@2.0.0", "/nonexistent")).toEqual({
      kind: "spec",
      spec: "@scope/pkg@2.0.0",
    });
    expect(() => resolvePackSource("missing.tgz", "/nonexistent")).toThrow(/does not exist/);
  });
});
