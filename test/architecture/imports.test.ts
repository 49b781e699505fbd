// The design's import directions (../shared/DESIGN.md "Architecture", CONTRIBUTING.md), read from
// the import statements of every source file: static imports and re-exports, `import type`, and
// dynamic `import()` alike (a lazy or type-only import still ties two modules together).
//
//   core      ← everything; imports nothing of the project
//   event     (hooks/event.ts, the neutral vocabulary) → core
//   adapters  → event, core
//   rules     → event, core
//   broker    → rules, event, core
//   scanners  → rules, broker, event, core
//   installer → adapters, rules, broker, event, core
//   hooks     (the hook's entry: pipeline, run-hook) → adapters, rules, broker, scanners, event, core
//   cli       → anything
//   and no cycles between files.
//
// A new forbidden import or a new cycle fails this test. There are no exceptions left; one added
// must say why, and the test says when its line is stale.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SOURCE_DIRS = [
  "adapters",
  "broker",
  "cli",
  "core",
  "hooks",
  "installer",
  "rules",
  "scanners",
] as const;

type Layer =
  "core" | "event" | "adapters" | "rules" | "broker" | "scanners" | "installer" | "hooks" | "cli";

/** What each layer may import besides itself. */
const ALLOWED: Record<Layer, readonly Layer[] | "any"> = {
  core: [],
  event: ["core"],
  adapters: ["event", "core"],
  rules: ["event", "core"],
  broker: ["rules", "event", "core"],
  scanners: ["rules", "broker", "event", "core"],
  installer: ["adapters", "rules", "broker", "event", "core"],
  // The hook's edge does the I/O rules decide on, scanning included (the push/publish gate).
  hooks: ["adapters", "rules", "broker", "scanners", "event", "core"],
  cli: "any",
};

/** Forbidden imports that remain, "from -> to" (files relative to the root), each with its reason. */
const LAYER_EXCEPTIONS: Record<string, string> = {};

/** Imports that close a cycle and remain; removing these edges must leave the graph acyclic. */
const CYCLE_EXCEPTIONS: Record<string, string> = {};

export type ImportGraph = Map<string, string[]>;

export function layerOf(file: string): Layer {
  if (file === "hooks/event.ts") return "event";
  return file.split("/")[0] as Layer;
}

/** Relative module specifiers of one source text: imports, re-exports, `import()` and `import("…")` types. */
export function importSpecifiers(text: string, fileName = "x.ts"): string[] {
  const source = ts.createSourceFile(
    fileName,
    text,
    ts.ScriptTarget.Latest,
    false,
    ts.ScriptKind.TS,
  );
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    )
      out.push(node.arguments[0].text);
    else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      out.push(node.argument.literal.text);
    else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    )
      out.push(node.moduleReference.expression.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((s) => s.startsWith("."));
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = posix.join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|mts|cts)$/.test(name) && !/\.d\.c?ts$/.test(name)) out.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return out.sort();
}

let cached: ImportGraph | undefined;

/** The project's import graph: file → the project files it imports. */
export function readImportGraph(): ImportGraph {
  if (cached) return cached;
  const files = sourceFiles();
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of importSpecifiers(readFileSync(join(ROOT, file), "utf8"), file)) {
      const base = posix.normalize(posix.join(posix.dirname(file), spec));
      const stem = base.replace(/\.(c|m)?js$/, "");
      const target = [`${stem}.ts`, `${stem}.mts`, `${stem}.cts`, base, `${base}/index.ts`].find(
        (c) => known.has(c),
      );
      // A generated .cjs or a .json next to the sources is data, not a module with imports.
      if (target) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  cached = graph;
  return graph;
}

export interface Violation {
  kind: "layer" | "cycle" | "stale-exception";
  edge: string;
  message: string;
}

/** Every forbidden import and every cycle in `graph` that the exception lists do not cover. */
export function checkImports(
  graph: ImportGraph,
  layerExceptions: Record<string, string> = LAYER_EXCEPTIONS,
  cycleExceptions: Record<string, string> = CYCLE_EXCEPTIONS,
): Violation[] {
  const out: Violation[] = [];
  const edges = new Set<string>();
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const edge = `${from} -> ${to}`;
      edges.add(edge);
      const a = layerOf(from);
      const b = layerOf(to);
      if (a === b) continue;
      const allowed = ALLOWED[a];
      if (allowed === undefined) {
        out.push({
          kind: "layer",
          edge,
          message: `${from} is in no known layer (add its folder to ALLOWED)`,
        });
        continue;
      }
      if (allowed === "any" || allowed.includes(b) || layerExceptions[edge] !== undefined) continue;
      out.push({
        kind: "layer",
        edge,
        message: `${a} may not import ${b}: ${edge} (allowed for ${a}: ${allowed.join(", ") || "nothing of the project"})`,
      });
    }
  }
  for (const edge of [...Object.keys(layerExceptions), ...Object.keys(cycleExceptions)]) {
    if (!edges.has(edge))
      out.push({
        kind: "stale-exception",
        edge,
        message: `the exception "${edge}" no longer matches an import: delete it from the list`,
      });
  }
  // Cycles: with the excepted edges removed, the graph must have no strongly connected component.
  const pruned: ImportGraph = new Map(
    [...graph].map(([f, ts]) => [
      f,
      ts.filter((t) => cycleExceptions[`${f} -> ${t}`] === undefined),
    ]),
  );
  for (const component of stronglyConnected(pruned)) {
    const inside = new Set(component);
    const cycleEdges = component.flatMap((f) =>
      (pruned.get(f) ?? []).filter((t) => inside.has(t)).map((t) => `${f} -> ${t}`),
    );
    out.push({
      kind: "cycle",
      edge: cycleEdges.join("; "),
      message: `import cycle among ${component.join(", ")}: ${cycleEdges.join("; ")}`,
    });
  }
  return out;
}

/** Tarjan's algorithm; components of more than one file, or a file importing itself. */
function stronglyConnected(graph: ImportGraph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) connect(v);
  return out;
}

describe("import directions", () => {
  it("every source file imports only what its layer may, and no file is part of a cycle", () => {
    const graph = readImportGraph();
    // The reader really read the tree: hundreds of files, and the known edges are there.
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get("broker/store.ts")).toContain("core/fs-safe.ts");
    expect(graph.get("hooks/run-hook.ts")).toContain("core/home.ts");
    const violations = checkImports(graph);
    expect(violations.map((v) => v.message)).toEqual([]);
  });

  it("core/ imports nothing of the project", () => {
    const graph = readImportGraph();
    const core = [...graph].filter(([f]) => f.startsWith("core/"));
    expect(core.length).toBeGreaterThanOrEqual(7);
    for (const [file, targets] of core)
      expect(
        targets.filter((t) => !t.startsWith("core/")),
        file,
      ).toEqual([]);
  });

  it("reads static, type-only, re-exported and dynamic imports, multi-line or not", () => {
    const text = [
      "import { a,",
      '  b } from "./one.js";',
      'import type { T } from "../two.js";',
      'export { c } from "./three.js";',
      'export type { U } from "./four.js";',
      'type E = typeof import("./five.js");',
      'const m = await import("./six.js");',
      'import x from "node:fs";',
      "const s = \"import y from './not-an-import.js'\";",
      '// import z from "./comment.js";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual([
      "./one.js",
      "../two.js",
      "./three.js",
      "./four.js",
      "./five.js",
      "./six.js",
    ]);
  });

  it("fails on a new forbidden import, a new cycle and a stale exception (synthetic graph)", () => {
    const clean: ImportGraph = new Map([
      ["core/errors.ts", []],
      ["hooks/event.ts", ["core/errors.ts"]],
      ["rules/a.ts", ["hooks/event.ts", "core/errors.ts"]],
      ["broker/b.ts", ["rules/a.ts"]],
      ["cli/main.ts", ["broker/b.ts", "rules/a.ts", "scanners/s.ts"]],
      ["scanners/s.ts", ["broker/b.ts"]],
    ]);
    expect(checkImports(clean, {}, {})).toEqual([]);

    const forbidden = new Map(clean);
    forbidden.set("core/errors.ts", ["rules/a.ts"]); // core imports a layer above it
    forbidden.set("adapters/x.ts", ["broker/b.ts"]); // an adapter reaching into the broker
    const found = checkImports(forbidden, {}, {});
    expect(found.filter((v) => v.kind === "layer").map((v) => v.edge)).toEqual([
      "core/errors.ts -> rules/a.ts",
      "adapters/x.ts -> broker/b.ts",
    ]);
    // core → rules → core is also a cycle
    expect(found.filter((v) => v.kind === "cycle")).toHaveLength(1);
    // … unless excepted, with a reason
    expect(
      checkImports(
        forbidden,
        { "core/errors.ts -> rules/a.ts": "r", "adapters/x.ts -> broker/b.ts": "r" },
        { "core/errors.ts -> rules/a.ts": "r" },
      ),
    ).toEqual([]);

    const cycle = new Map(clean);
    cycle.set("broker/c.ts", ["broker/d.ts"]);
    cycle.set("broker/d.ts", ["broker/e.ts"]);
    cycle.set("broker/e.ts", ["broker/c.ts"]);
    const cycles = checkImports(cycle, {}, {});
    expect(cycles.map((v) => v.kind)).toEqual(["cycle"]);
    expect(cycles[0]!.message).toContain("broker/c.ts, broker/d.ts, broker/e.ts");
    // A self-import is a cycle too.
    expect(
      checkImports(new Map([["rules/a.ts", ["rules/a.ts"]]]), {}, {}).map((v) => v.kind),
    ).toEqual(["cycle"]);

    const stale = checkImports(clean, { "rules/a.ts -> broker/b.ts": "gone" }, {});
    expect(stale.map((v) => v.kind)).toEqual(["stale-exception"]);
  });

  it("every exception names its owner or reason", () => {
    for (const [edge, why] of Object.entries({ ...LAYER_EXCEPTIONS, ...CYCLE_EXCEPTIONS })) {
      expect(edge).toMatch(/^[\w/.-]+\.ts -> [\w/.-]+\.ts$/);
      expect(why.length, edge).toBeGreaterThan(8);
    }
    // Keep the list honest: it is not a place for new code.
    expect(Object.keys(LAYER_EXCEPTIONS).length).toBeLessThanOrEqual(0);
    expect(Object.keys(CYCLE_EXCEPTIONS).length).toBeLessThanOrEqual(0);
    expect(relative(ROOT, dirname(import.meta.filename))).toBe(join("test", "architecture"));
  });
});
