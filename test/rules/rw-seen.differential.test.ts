// The hidden-token pre-check skips hookpack's own brokered-exec prefix (rules/secretlint.ts
// mayHideInInput, issue 21): differential over a generated corpus, in process. "Before" is the
// pre-check on the whole input (mayHide), "after" mayHideInInput; each side's verdict is what
// deny-literal-secrets gets from scanHidden: the strong findings of rules/detect.ts findHidden when
// the pre-check fires, nothing otherwise. The corpus: real rewritten commands (random grant ids and
// keys, --stdin-refs, --cap), prefixes written by hand with a fake token (plain, spliced, escaped,
// encoded, glued) in every slot an agent can write, grant ids and keys chosen to decode as base64
// text, tokens right after, before and between prefixes. Fake tokens are built at run time.
import { describe, expect, it } from "vitest";
import { ownEntry, withoutBrokerPrefix } from "../../rules/broker-prefix.js";
import { findHidden, hiddenViews } from "../../rules/detect.js";
import {
  decodesToText,
  hasReading,
  HIDING,
  mayHide,
  mayHideInInput,
} from "../../rules/secretlint.js";
import { fakeTokens, seeded } from "../helpers/fake-secrets.js";

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const r = seeded(21);
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
const b32 = () => pick(B32, 26);
const NODE = process.execPath;
const ENTRY = ownEntry();
const prefix = (
  o: {
    grant?: string;
    key?: string;
    stdin?: boolean;
    caps?: string[];
    node?: string;
    entry?: string;
  } = {},
) =>
  `${o.node ?? NODE} ${o.entry ?? ENTRY} exec --grant ${o.grant ?? `g_${b32()}`} --grant-key ${o.key ?? b32()}${o.stdin ? " --stdin-refs" : ""}${(o.caps ?? []).map((c) => ` --cap ${c}`).join("")} -- `;

const verdict = (pre: (t: string) => boolean, t: string): string[] =>
  pre(t)
    ? findHidden(t)
        .map((h) => h.value)
        .sort()
    : [];
const before = (t: string) => verdict(mayHide, t);
const after = (t: string) => verdict(mayHideInInput, t);

/** The ways an agent hides a token from a literal scan (rules/detect.ts hiddenViews undoes each). */
function hidings(t: string): Array<[string, string]> {
  const h = Math.floor(t.length / 2);
  const b64 = Buffer.from(t).toString("base64");
  return [
    ["plain", t],
    ["double-quote splice", `"${t.slice(0, 4)}""${t.slice(4)}"`],
    ["lone-quote splice", `${t.slice(0, 3)}"${t.slice(3, 20)}"${t.slice(20)}`],
    ["concatenation", `'${t.slice(0, h)}' + '${t.slice(h)}'`],
    ["backslashes", t.replace(/([A-Za-z])/g, (c, _x, i: number) => (i % 5 === 1 ? `\\${c}` : c))],
    ["line continuation", `${t.slice(0, h)}\\\n${t.slice(h)}`],
    ["zero-width", `${t.slice(0, 5)}\u200b${t.slice(5, 15)}\u2060${t.slice(15)}`],
    [
      "percent",
      [...t]
        .map((c, i) => (i < 12 ? `%${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c))
        .join(""),
    ],
    [
      "hex escapes",
      [...t]
        .map((c, i) => (i < 8 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c))
        .join(""),
    ],
    ["base64", b64],
    ["base64url", Buffer.from(t).toString("base64url")],
    ["base64 of a short cut", Buffer.from(t.slice(0, 18)).toString("base64")],
    ["glued before", `x${t}`],
    ["glued after", `${t}y`],
  ];
}

const TOKENS = Object.entries(fakeTokens(21)).filter(([k]) => k !== "privateKey");
const ORDINARY = [
  "printf %s HPKabcdefghijklmnop_0_ | wc -c",
  'curl -q -s -H "Authorization: Bearer HPKabcdefghijklmnop_0_" https://api.example.invalid/v1/user',
  "bash -c 'printf %s \"$T\" | wc -c'",
  "psql -c 'select 1'",
  "node scripts/deploy.js --env production",
  "ls /usr/lib/node_modules/some-package-with-a-long-name/dist",
  "git push origin feature/a-very-long-branch-name-for-testing",
  "true",
];

interface Case {
  family: string;
  text: string;
}
function corpus(): Case[] {
  const out: Case[] = [];
  // Real rewritten commands: this process's prefix, random ids, an ordinary program after it.
  for (const rest of ORDINARY)
    for (let i = 0; i < 4; i++)
      out.push({
        family: "rewritten",
        text: `${prefix({ stdin: i % 2 === 1, caps: i === 3 ? ["deploy-db"] : [] })}${rest}`,
      });
  out.push({
    family: "rewritten",
    text: `${prefix()}printf %s x | ${prefix({ stdin: true })}wc -c`,
  });
  for (const [name, t] of TOKENS)
    for (const [how, form] of hidings(t)) {
      const f = (family: string, text: string) =>
        out.push({ family: `${family} (${name}, ${how})`, text });
      // Right after the prefix, as an argument, before it, between two.
      f("after the prefix", `${prefix()}${form}`);
      f("argument after the prefix", `${prefix({ stdin: true })}echo ${form} | wc -c`);
      f("before the prefix", `echo ${form}; ${prefix()}true`);
      f("between two prefixes", `${prefix()}echo ${form} | ${prefix()}wc -c`);
      f("in an assignment", `T=${form} ${prefix()}printf ok`);
      // In every slot of a prefix written by hand (a slot that is not base32 is no verified prefix).
      f("grant slot", `${prefix({ grant: `g_${form}` })}true`);
      f("grant slot, bare", `${prefix({ grant: form })}true`);
      f("key slot", `${prefix({ key: form })}true`);
      f("cap slot", `${prefix({ caps: [form] })}true`);
      f("node slot", `${prefix({ node: `/tmp/${form}/node` })}true`);
      f("entry slot", `${prefix({ entry: `/tmp/${form}/hookpack.cjs` })}true`);
      f("glued to the key", `${prefix().replace(/ -- $/, `${form} -- `)}true`);
      f("glued to the prefix end", `${prefix().trimEnd()}${form} true`);
      f("glued before the node", `${form}${prefix()}true`);
    }
  // Base32 ids and keys an agent picks to decode as base64 text (the one reading hiddenViews can
  // make of them), and lowercase-only token bodies in the id and key slots.
  // Groups of four base32 characters whose base64 reading is three printable bytes, chained.
  const groups: string[] = [];
  while (groups.length < 64) {
    const g = pick(B32, 4);
    if (/^[\x20-\x7e]{3}$/.test(Buffer.from(g, "base64").toString("latin1"))) groups.push(g);
  }
  let found = 0;
  for (let i = 0; i < 40; i++) {
    const w = `${Array.from({ length: 6 }, () => groups[Math.floor(r() * groups.length)]).join("")}${pick(B32, 2)}`;
    if (!decodesToText(w)) continue;
    found++;
    out.push({ family: "grant id that decodes", text: `${prefix({ grant: `g_${w}` })}true` });
    out.push({ family: "grant key that decodes", text: `${prefix({ key: w })}printf %s x` });
  }
  expect(found).toBe(40);
  const lower = TOKENS.map(([, t]) =>
    t
      .toLowerCase()
      .replace(/[^a-z2-7]/g, "a")
      .slice(0, 26)
      .padEnd(26, "a"),
  );
  for (const w of lower) {
    out.push({
      family: "lowercased token as grant id",
      text: `${prefix({ grant: `g_${w}` })}true`,
    });
    out.push({ family: "lowercased token as key", text: `${prefix({ key: w })}true` });
  }
  return out;
}

describe("hidden-token pre-check without hookpack's own broker prefix", () => {
  const cases = corpus();

  it("strips a real rewritten command's prefix, and only a verified one", () => {
    const real = `${prefix()}printf %s x`;
    expect(withoutBrokerPrefix(real)).toBe(" printf %s x");
    // Before: every rewritten command fires the pre-check (the grant id is a 28-character run).
    expect(mayHide(real)).toBe(true);
    expect(mayHideInInput(real)).toBe(false);
    // Not this node or not this entry, a key of the wrong length: nothing is taken out.
    for (const forged of [
      `${prefix({ node: "/tmp/node" })}true`,
      `${prefix({ entry: "/tmp/hookpack.cjs" })}true`,
      `${prefix({ key: b32().slice(1) })}true`,
      `${prefix({ grant: `g_${b32().toUpperCase()}` })}true`,
    ])
      expect(mayHideInInput(forged)).toBe(true);
  });

  it("decodesToText is hiddenViews' base64 reading of a run", () => {
    const runs: string[] = [];
    for (let i = 0; i < 3000; i++) {
      runs.push(b32(), `g_${b32()}`, pick(`${B32}ABCDEFGHIJKLMNOPQRSTUVWXYZ01+/_-`, 20 + (i % 12)));
      runs.push(
        Buffer.from(pick("abcdefghijklmnopqrstuvwxyz ", 15 + (i % 10))).toString("base64url"),
      );
    }
    const mismatches = runs.filter((w) => decodesToText(w) !== hiddenViews(`a ${w} b`).length > 0);
    expect(mismatches).toEqual([]);
    expect(runs.filter((w) => decodesToText(w)).length).toBeGreaterThan(100);
  });

  it("hasReading is false only where hiddenViews reads nothing", () => {
    const texts = [...cases.map((c) => c.text), ...cases.map((c) => withoutBrokerPrefix(c.text))];
    const wrong = texts.filter((t) => !hasReading(t) && hiddenViews(t).length > 0);
    expect(wrong).toEqual([]);
    expect(texts.filter((t) => !hasReading(t)).length).toBeGreaterThan(50);
  });

  it("mayHide is true wherever HIDING matches, and on a token spliced by quotes inside the word", () => {
    const texts = [...cases.map((c) => c.text), ...ORDINARY];
    expect(texts.filter((t) => HIDING.test(t) && !mayHide(t))).toEqual([]);
    let spliced = 0;
    let found = 0;
    for (const [, t] of TOKENS)
      for (const q of ['"', "'"]) {
        // Every piece under 28 characters, no empty pair (main 2432246's HIDING matched none).
        const form = `${t.slice(0, 3)}${q}${t.slice(3, 20)}${q}${t.slice(20)}`;
        if (!/^[A-Za-z0-9+/_-]+$/.test(t) || t.length - 20 >= 28) continue;
        spliced++;
        expect(HIDING.test(`echo ${form}`)).toBe(true);
        expect(mayHide(`echo ${form}`)).toBe(true);
        // Found as the same token spliced by an empty pair (which HIDING sees) is found.
        const pair = findHidden(`echo "${t.slice(0, 4)}""${t.slice(4)}"`).some(
          (h) => h.value === t,
        );
        expect(findHidden(`echo ${form}`).some((h) => h.value === t)).toBe(pair);
        if (pair) found++;
      }
    expect(spliced).toBeGreaterThanOrEqual(10);
    expect(found).toBeGreaterThanOrEqual(8);
    // Ordinary quoting stays out of it.
    for (const t of [
      `git commit -m "don't stop"`,
      `echo "a" 'b'`,
      `grep -r "someFunctionName" src`,
      `echo "someFunctionNameThatIsLong"x y`.replace('"x', '" x'),
      `ls 'path/to/a/file/that/is/long'`,
    ])
      expect(mayHide(t)).toBe(false);
  });

  it("finds in every case what the pre-check on the whole input finds", () => {
    let fired = 0;
    const differ: Array<[string, string[], string[]]> = [];
    for (const c of cases) {
      const b = before(c.text);
      const a = after(c.text);
      if (b.length > 0) fired++;
      if (JSON.stringify(a) !== JSON.stringify(b)) differ.push([c.family, b, a]);
    }
    process.stdout.write(
      `rw-seen differential: ${cases.length} inputs, ${fired} with findings before, ${differ.length} verdicts differ\n`,
    );
    expect(fired).toBeGreaterThan(200);
    expect(differ).toEqual([]);
  });

  it("skips the engine on a real rewritten command whose program shows no sign of hiding", () => {
    // Skipped: the program part holds no quote, escape, `%xx`, 28-character run or base64 text.
    const skips = [
      "printf %s HPKabcdefghijklmnop_0_ | wc -c",
      "node scripts/deploy.js --env production",
      "true",
    ];
    for (const rest of ORDINARY)
      for (const p of [
        prefix(),
        prefix({ stdin: true }),
        prefix({ stdin: true, caps: ["deploy-db"] }),
      ]) {
        expect(mayHide(p + rest)).toBe(true);
        expect([rest, mayHideInInput(p + rest)]).toEqual([rest, !skips.includes(rest)]);
      }
    expect(mayHideInInput(`${prefix()}printf %s x | ${prefix({ stdin: true })}wc -c`)).toBe(false);
  });
});
