// The oracle for `$secret:` rewriting is bash itself. fast-check builds commands with references
// in random shell contexts (unquoted, "…", '…', $'…', $(…), `…` nested, assignments, here-documents
// quoted and not), and, from the same template, the command with each value typed in by hand,
// quoted the way that context needs. Each pair runs in bash: the rewritten command (each receiving
// program behind a broker prefix, the references as placeholders) with a stand-in broker that
// swaps the placeholders in argv, environment and stdin exactly as `hookpack exec --grant` does
// but does not mask (so the value is visible to the comparison), the hand-typed one as is.
// Outputs and exit codes must be identical. Many cases share one bash process per batch.
// A command whose receiving program has a word the shell expands at run time is refused by
// design (the grant binds the exact argv): such cases are counted and left out.
//
// HOOKPACK_PROPERTY_RUNS sets the number of cases (default 2000; 10000 run locally with seed 7: 0 divergences).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  analyzeCommand,
  brokerPrefix,
  deliveredCommand,
  planDelivery,
} from "../../rules/secret-refs.js";

type Ctx = "unquoted" | "dq" | "sq" | "ansi" | "heredoc" | "qheredoc";
type Slot = { name: "A" | "B"; ctx: Ctx; braced: boolean; wrap: Array<(s: string) => string> };
type Seg = string | Slot;
type Tpl = Seg[];

const NAMES = ["A", "B"] as const;

/** How a value is typed by hand, verbatim, in each context. */
function encode(ctx: Ctx, v: string): string {
  switch (ctx) {
    case "unquoted":
      return `'${v.replace(/'/g, `'\\''`)}'`;
    case "dq":
      return v.replace(/[\\$`"]/g, "\\$&");
    case "sq":
      return v.replace(/'/g, `'\\''`);
    case "ansi":
      return v.replace(/[\\']/g, "\\$&");
    case "heredoc":
      return v.replace(/[\\$`]/g, "\\$&");
    case "qheredoc":
      return v;
  }
}

/** Text inside backticks: \ and ` are escaped so that bash's de-escaping gives the text back. */
const backtickEscape = (s: string): string => s.replace(/[\\`]/g, "\\$&");

function wrapAll(t: Tpl, f: (s: string) => string): Tpl {
  return t.map((s) => (typeof s === "string" ? f(s) : { ...s, wrap: [...s.wrap, f] }));
}

function render(t: Tpl, values: Record<string, string> | undefined): string {
  return t
    .map((s) => {
      if (typeof s === "string") return s;
      const base = values
        ? encode(s.ctx, values[s.name]!)
        : s.braced
          ? `\${secret:${s.name}}`
          : `$secret:${s.name}`;
      return s.wrap.reduce((acc, f) => f(acc), base);
    })
    .join("");
}

const unit = (xs: string[]) => fc.constantFrom(...xs);
const lit = (units: string[], max = 3) =>
  fc.array(unit(units), { minLength: 1, maxLength: max }).map((a) => a.join(""));

const UNQ_UNITS = [
  "a",
  "b",
  "z",
  "0",
  "7",
  "_",
  "-",
  ".",
  "/",
  ":",
  "=",
  "%",
  "+",
  ",",
  "@",
  "{",
  "}",
  "~",
  "\\\\",
  "\\ ",
  "\\'",
  '\\"',
  "\\$",
  "\\*",
  "\\;",
  "\\&",
  "\\#",
  "\\(",
  "\\`",
];
const SQ_UNITS = ["a", "q", " ", '"', "$x", "\\n", "*", "`", ";", "#", "$(", "{", "\\\\", "!"];
const DQ_UNITS = [
  "a",
  "k",
  " ",
  "'",
  "\\\\",
  '\\"',
  "\\$",
  "\\`",
  "\\x",
  "*",
  "#",
  ";",
  "$ ",
  "{}",
  "~",
];
const ANSI_UNITS = ["a", "m", " ", "\\n", "\\t", "\\\\", "\\'", '"', "\\x41", "$x", "`", "\\$x"];
const HD_UNITS = ["a", "h", " ", "'", '"', "*", "\\\\", "\\$", "\\`", "\\x", "#", "{", "~"];
const QHD_UNITS = ["a", "w", " ", "'", '"', "*", "\\", "$x", "`", "$(", "#", "\\n"];

const slot = (ctx: Ctx): fc.Arbitrary<Slot> =>
  fc
    .record({ name: fc.constantFrom(...NAMES), braced: fc.boolean() })
    .map(({ name, braced }) => ({ name, ctx, braced, wrap: [] }));

/**
 * A literal segment must not extend a preceding unbraced reference's name; in '…' and quoted
 * here-documents (no escapes there) a `\` right before a reference makes it literal text.
 */
function fixNames(t: Tpl): Tpl {
  return t.map((s, i) => {
    if (typeof s === "string") return s;
    const prev = t[i - 1];
    if ((s.ctx === "sq" || s.ctx === "qheredoc") && typeof prev === "string" && prev.endsWith("\\"))
      return s.braced ? `\${secret:${s.name}}` : `$secret:${s.name}`;
    const next = t[i + 1];
    const nextText = typeof next === "string" ? next : next ? "$" : "";
    return /^[A-Za-z0-9_]/.test(nextText) ? { ...s, braced: true } : s;
  });
}

const SIMPLE_UNITS = ["a", "b", "0", "_", "-", ".", "/", ":", "=", "%", "+", ",", "@", "~"];
/** What backticks may hold around references: plain words, '…' and "…" without escapes. */
const simpleWord: fc.Arbitrary<Tpl> = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: lit(SIMPLE_UNITS).map((s): Tpl => [s]) },
      { weight: 3, arbitrary: slot("unquoted").map((s): Tpl => [s]) },
      {
        weight: 1,
        arbitrary: fc
          .array(
            fc.oneof(
              lit(["a", " ", "*", ";", "$x"]).map((s): Tpl => [s]),
              slot("sq").map((s): Tpl => [s]),
            ),
            { maxLength: 2 },
          )
          .map((xs): Tpl => ["'", ...xs.flat(), "'"]),
      },
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => fixNames(parts.flat()));
const simpleWordDq: fc.Arbitrary<Tpl> = fc
  .array(
    fc.oneof(
      lit(SIMPLE_UNITS).map((s): Tpl => [s]),
      slot("unquoted").map((s): Tpl => [s]),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => fixNames(parts.flat()));

const { word } = fc.letrec<{ word: Tpl; part: Tpl; cmdsub: Tpl }>((tie) => ({
  word: fc
    .array(tie("part"), { minLength: 1, maxLength: 3 })
    .map((parts) => fixNames(parts.flat())),
  part: fc.oneof(
    { weight: 3, arbitrary: lit(UNQ_UNITS).map((s): Tpl => [s]) },
    { weight: 4, arbitrary: slot("unquoted").map((s): Tpl => [s]) },
    { weight: 1, arbitrary: fc.constantFrom<Tpl>(["\\$secret:A"], ["\\\\"]) },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.oneof(
            { weight: 2, arbitrary: lit(SQ_UNITS).map((s): Tpl => [s]) },
            { weight: 2, arbitrary: slot("sq").map((s): Tpl => [s]) },
            { weight: 1, arbitrary: fc.constant<Tpl>(["\\$secret:B"]) },
          ),
          { maxLength: 3 },
        )
        .map((xs): Tpl => ["'", ...fixNames(xs.flat()), "'"]),
    },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.oneof(
            { weight: 2, arbitrary: lit(DQ_UNITS).map((s): Tpl => [s]) },
            { weight: 3, arbitrary: slot("dq").map((s): Tpl => [s]) },
            { weight: 1, arbitrary: fc.constant<Tpl>(["\\$secret:A"]) },
            { weight: 1, arbitrary: tie("cmdsub") },
            {
              weight: 1,
              arbitrary: simpleWordDq.map((w): Tpl => [
                "`printf %s ",
                ...wrapAll(w, backtickEscape),
                "`",
              ]),
            },
          ),
          { maxLength: 3 },
        )
        .map((xs): Tpl => ['"', ...fixNames(xs.flat()), '"']),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.oneof(
            { weight: 2, arbitrary: lit(ANSI_UNITS).map((s): Tpl => [s]) },
            { weight: 2, arbitrary: slot("ansi").map((s): Tpl => [s]) },
          ),
          { maxLength: 3 },
        )
        .map((xs): Tpl => ["$'", ...fixNames(xs.flat()), "'"]),
    },
    { weight: 1, arbitrary: tie("cmdsub") },
    {
      weight: 1,
      arbitrary: simpleWord.map((w): Tpl => ["`printf %s ", ...wrapAll(w, backtickEscape), "`"]),
    },
  ),
  cmdsub: tie("word").map((w): Tpl => ["$(printf %s ", ...w, ")"]),
}));

const heredoc = fc
  .record({
    quote: fc.constantFrom("", "'", '"', "\\"),
    dash: fc.boolean(),
    lines: fc.array(
      fc.record({
        tab: fc.boolean(),
        parts: fc.array(
          fc.oneof(
            { weight: 2, arbitrary: fc.constant(0) },
            { weight: 2, arbitrary: fc.constant(1) },
            { weight: 1, arbitrary: fc.constant(2) },
            { weight: 1, arbitrary: fc.constant(3) },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        lits: fc.array(fc.tuple(lit(HD_UNITS), lit(QHD_UNITS)), { minLength: 4, maxLength: 4 }),
        slots: fc.array(fc.record({ name: fc.constantFrom(...NAMES), braced: fc.boolean() }), {
          minLength: 4,
          maxLength: 4,
        }),
        sub: word,
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ quote, dash, lines }): Tpl => {
    const quoted = quote !== "";
    const delim = quote === "\\" ? "\\HPEOF" : quote ? `${quote}HPEOF${quote}` : "HPEOF";
    const out: Tpl = [`cat <<${dash ? "-" : ""}${delim}\n`];
    for (const line of lines) {
      const segs: Tpl = [];
      if (dash && line.tab) segs.push("\t");
      line.parts.forEach((p, i) => {
        if (p === 0) segs.push(quoted ? line.lits[i]![1] : line.lits[i]![0]);
        else if (p === 1)
          segs.push({ ...line.slots[i]!, ctx: quoted ? "qheredoc" : "heredoc", wrap: [] });
        else if (p === 2) segs.push("\\$secret:A");
        else if (!quoted) segs.push("$(printf %s ", ...line.sub, ")");
        else segs.push("x");
      });
      out.push(...fixNames(segs), "\n");
    }
    out.push("HPEOF\n");
    return out;
  });

const statement: fc.Arbitrary<Tpl> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(word, { minLength: 1, maxLength: 3 })
      .map((ws): Tpl => ["printf '<%s>\\n'", ...ws.flatMap((w): Tpl => [" ", ...w])]),
  },
  { weight: 2, arbitrary: heredoc },
  { weight: 1, arbitrary: word.map((w): Tpl => ["HPV=", ...w, " printenv HPV"]) },
  {
    weight: 1,
    arbitrary: fc
      .array(word, { minLength: 1, maxLength: 2 })
      .map((ws): Tpl => ["( printf '[%s]' ", ...ws.flatMap((w): Tpl => [" ", ...w]), " )"]),
  },
  { weight: 1, arbitrary: word.map((w): Tpl => ["echo \"$(printf '%s|' ", ...w, ')"']) },
);

const script = fc
  .array(fc.tuple(statement, fc.constantFrom("; ", "\n", " && ")), { minLength: 1, maxLength: 3 })
  .map((xs): Tpl => {
    const out: Tpl = [];
    let afterHeredoc = false;
    xs.forEach(([st, sep], i) => {
      // A here-document statement ends with its delimiter line: the next statement starts a line.
      if (i > 0) out.push(afterHeredoc ? "" : sep);
      out.push(...st);
      const last = st[st.length - 1];
      afterHeredoc = typeof last === "string" && last.endsWith("\n");
    });
    return out;
  });

const VALUE_CHARS = [..."abcxyz0189 _-=+/.:,;!?*[]{}()<>|&^%#@~'\"`$\\\n\t", "é", "€", "😀", "\r"];
const value = fc.array(fc.constantFrom(...VALUE_CHARS), { maxLength: 10 }).map((a) => a.join(""));

interface Case {
  hand: string;
  rewritten: string;
  values: Record<string, string>;
  names: string[];
  /** Placeholders of A and B (empty when unused). */
  pa: string;
  pb: string;
}

/** The stand-in broker: `<shim> x exec --grant G --grant-key K [--stdin-refs] -- prog args…`. */
const SHIM = String.raw`#!/bin/bash
shift 6
stdin=0
if [ "$1" = --stdin-refs ]; then stdin=1; shift; fi
shift
sub() { local s=$1; [ -n "$HP_PA" ] && s=${"$"}{s//"$HP_PA"/"$HP_VA"}; [ -n "$HP_PB" ] && s=${"$"}{s//"$HP_PB"/"$HP_VB"}; printf %s "$s"; }
args=()
for a in "$@"; do args+=("$(sub "$a"; printf x)"); args[-1]=${"$"}{args[-1]%x}; done
while IFS= read -r -d '' kv; do
  k=${"$"}{kv%%=*}; v=${"$"}{kv#*=}
  case $k in HP_*) continue ;; esac
  if [[ -n "$HP_PA" && $v == *"$HP_PA"* ]] || [[ -n "$HP_PB" && $v == *"$HP_PB"* ]]; then export "$k=$(sub "$v"; printf x)"; export "$k=${"$"}{!k%x}"; fi
done < <(env -0)
if [ $stdin = 1 ]; then data=$(cat; printf x); data=${"$"}{data%x}; sub "$data" | exec "${"$"}{args[@]}"; fi
exec "${"$"}{args[@]}"
`;

function makeCase(t: Tpl, vA: string, vB: string, shim: string): Case | "refused" {
  const hasDash = render(t, undefined).includes("<<-");
  // Values are inserted verbatim; <<- strips leading tabs from the command text only (a by-hand
  // value would lose them), so tabs are left out of values in scripts with <<-.
  // Typing a value by hand inside backticks is itself ambiguous in bash when it holds $( ` \ or "
  // (bash finds the closing backtick on the raw text); the rewrite never puts value text into the
  // command, but the oracle would be wrong, so those characters are left out there.
  const unquotedHeredocSub = /<<-?HPEOF\n[^]*\$\(/.test(render(t, undefined));
  const inBackticks = t.some((s) => typeof s !== "string" && s.wrap.length > 0);
  const clean = (v: string) => {
    let out = hasDash ? v.replace(/\t/g, "t") : v;
    if (inBackticks) out = out.replace(/[$`\\"]/g, "x");
    // bash joins \<newline> in an unquoted here-document body before it parses a $(…) in it, so
    // a value typed by hand into such a $(…) would lose those two characters.
    if (unquotedHeredocSub) out = out.replace(/\\(?=\r?\n)/g, "x");
    return out;
  };
  const values = { A: clean(vA), B: clean(vB) };
  const command = render(t, undefined);
  const analysis = analyzeCommand(command);
  if (!analysis.ok) {
    if (/expands at run time|assignment .* must be NAME=text/.test(analysis.reason))
      return "refused";
    throw new Error(`refused a provable command: ${analysis.reason}\n${command}`);
  }
  const expected = [
    ...new Set(t.filter((s): s is Slot => typeof s !== "string").map((s) => s.name)),
  ].sort();
  expect([...analysis.names].sort(), command).toEqual(expected);
  if (analysis.names.length === 0)
    return { hand: render(t, values), rewritten: command, values, names: [], pa: "", pb: "" };
  const plan = planDelivery(command, analysis, "oracleoracleorac");
  const rewritten = deliveredCommand(
    command,
    analysis,
    plan,
    plan.deliveries.map((d) => brokerPrefix({ node: shim, script: "x" }, "g_", "k", d.stdin)),
  );
  const ph = (n: string) =>
    Object.entries(plan.placeholders).find(([, name]) => name === n)?.[0] ?? "";
  return {
    hand: render(t, values),
    rewritten,
    values,
    names: analysis.names,
    pa: ph("A"),
    pb: ph("B"),
  };
}

const DRIVER = String.raw`
run() { ( eval "$1" ) 2>&1 < /dev/null; printf 'rc=%d' "$?"; }
dir=$1; n=$2
for ((i = 0; i < n; i++)); do
  IFS= read -r -d '' hand < "$dir/$i.hand"
  IFS= read -r -d '' rw < "$dir/$i.rw"
  IFS= read -r -d '' va < "$dir/$i.a"
  IFS= read -r -d '' vb < "$dir/$i.b"
  IFS= read -r -d '' pa < "$dir/$i.pa"
  IFS= read -r -d '' pb < "$dir/$i.pb"
  printf ''
  run "$hand"
  printf ''
  HP_VA="$va" HP_VB="$vb" HP_PA="$pa" HP_PB="$pb" run "$rw"
done
`;

function runBatch(dir: string, cases: Case[]): Promise<Array<[string, string]>> {
  cases.forEach((c, i) => {
    writeFileSync(join(dir, `${i}.hand`), c.hand);
    writeFileSync(join(dir, `${i}.rw`), c.rewritten);
    writeFileSync(join(dir, `${i}.a`), c.values.A!);
    writeFileSync(join(dir, `${i}.b`), c.values.B!);
    writeFileSync(join(dir, `${i}.pa`), c.pa);
    writeFileSync(join(dir, `${i}.pb`), c.pb);
  });
  writeFileSync(join(dir, "driver.sh"), DRIVER);
  return new Promise((res, rej) => {
    const child = spawn("bash", [join(dir, "driver.sh"), dir, String(cases.length)], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, LC_ALL: "C.UTF-8" },
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => out.push(b));
    child.on("error", rej);
    child.on("close", () => {
      const parts = Buffer.concat(out).toString("utf8").split("\x1e").slice(1);
      res(parts.map((p) => p.split("\x1d") as [string, string]));
    });
  });
}

const RUNS = Number(process.env.HOOKPACK_PROPERTY_RUNS ?? 2000);
const BATCH = 250;

describe("$secret: rewriting against bash as the oracle", () => {
  it(`${RUNS} generated commands: rewritten + env == values typed by hand`, async () => {
    const root = mkdtempSync(join(tmpdir(), "hookpack-oracle-"));
    const shim = join(root, "broker-shim");
    writeFileSync(shim, SHIM, { mode: 0o755 });
    const made = fc
      .sample(fc.tuple(script, value, value), {
        numRuns: RUNS,
        seed: Number(process.env.HOOKPACK_PROPERTY_SEED ?? 20261122),
      })
      .map(([t, a, b]) => makeCase(t, a, b, shim));
    const cases = made.filter((c): c is Case => c !== "refused");
    const refused = made.length - cases.length;
    const withRefs = cases.filter((c) => c.names.length > 0).length;
    // Refusing by design must leave most commands with references comparable.
    expect(withRefs, `${refused} refused`).toBeGreaterThan(RUNS / 4);
    try {
      const batches: Case[][] = [];
      for (let i = 0; i < cases.length; i += BATCH) batches.push(cases.slice(i, i + BATCH));
      const divergences: string[] = [];
      // Two bash processes at a time (a shared 2-core machine).
      for (let i = 0; i < batches.length; i += 2) {
        const group = batches.slice(i, i + 2);
        const results = await Promise.all(
          group.map((b, k) => {
            const dir = join(root, String(i + k));
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir);
            return runBatch(dir, b).then((r) => ({ b, r }));
          }),
        );
        for (const { b, r } of results) {
          expect(r.length).toBe(b.length);
          b.forEach((c, k) => {
            const [want, got] = r[k]!;
            if (want !== got)
              divergences.push(
                JSON.stringify({
                  command: c.hand,
                  rewritten: c.rewritten,
                  values: c.values,
                  want,
                  got,
                }),
              );
          });
        }
      }
      console.log(
        `[oracle] ${cases.length} commands (${withRefs} with references; ${refused} refused: a receiving program with a run-time expansion), ${divergences.length} divergences`,
      );
      expect(divergences.slice(0, 5)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 240_000);
});
