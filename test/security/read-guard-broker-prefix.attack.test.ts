// The read guard's cheap pre-check skips hookpack's own brokered-exec prefix (`<node> <entry> exec
// --grant … --grant-key … -- `, rules/read-guard.ts mayRead): a rewritten `$secret:` call no longer
// takes the full shell parser only because this node and this entry are files. The attacker's
// side: a program that receives a value AND reads a secret-bearing file, in every position around
// the prefix; the prefix written by hand (with this process's very paths) in front of a read; a
// grant key or capability named after a secret file. Each through the real hook process; contained
// means the call is denied and the answer holds neither the stored value nor the file's token.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  fakeSecret,
  preToolUse,
  project,
  run,
  sandbox,
  setSecret,
  type HookAnswer,
  type Sandbox,
} from "../broker/helpers.js";
import { fakeGithubToken } from "../helpers/fake-secrets.js";
import { reportTally, tally } from "./tally.js";

reportTally();
const T = {
  mixed: tally("read-guard-broker-prefix: a brokered program that also reads a secret file"),
  forged: tally("read-guard-broker-prefix: the prefix written by hand"),
};

const POLICY = {
  version: 1,
  defaults: { approval: "auto" },
  secrets: { T: { commands: ["cat", "head", "tail", "printf", "wc", "bash", "grep"] } },
};
const ENTRY = join(process.cwd(), "dist", "hookpack.cjs");
const b32 = (c: string) => c.repeat(26);

let sb: Sandbox;
let value: string;
let token: string;
let dir: string;
beforeAll(() => assertBuilt());
afterEach(() => {
  run(sb, ["broker", "stop"]);
  sb.cleanup();
});
function setup(): void {
  sb = sandbox();
  value = fakeSecret();
  token = fakeGithubToken();
  setSecret(sb, "T", value);
  dir = project(sb, POLICY);
  writeFileSync(join(dir, ".env"), `GITHUB_TOKEN=${token}\n`);
  mkdirSync(join(dir, "conf"), { recursive: true });
  writeFileSync(join(dir, "conf", "notes.txt"), `deploy with ${value}\n`);
  // Files named like a grant key and a capability, holding a secret.
  writeFileSync(join(dir, b32("a")), `GITHUB_TOKEN=${token}\n`);
  writeFileSync(join(dir, "deploy-db"), `GITHUB_TOKEN=${token}\n`);
}
const contained = (a: HookAnswer) =>
  a.decision === "deny" &&
  a.command === undefined &&
  !a.raw.includes(value) &&
  !a.raw.includes(token) &&
  !a.reason.includes(value) &&
  !a.reason.includes(token);

describe("read guard: hookpack's brokered prefix hides no read", () => {
  it("a program that receives $secret:T and reads a secret file, in every position, is denied", () => {
    setup();
    // The rewrite alone is allowed (so the read guard is what decides below).
    const plain = preToolUse(sb, dir, "printf %s $secret:T | wc -c");
    expect(plain.decision).toBeUndefined();
    expect(plain.command).toMatch(
      / exec --grant g_[a-z2-7]{26} --grant-key [a-z2-7]{26} -- printf/,
    );
    const attacks = [
      "cat .env $secret:T",
      "cat $secret:T .env",
      "head -n 5 .env $secret:T",
      "cat conf/notes.txt $secret:T",
      "printf %s $secret:T | cat .env",
      "cat .env | wc -c $secret:T",
      "printf %s $secret:T; cat .env",
      "printf %s $secret:T && tail .env",
      "wc -c $secret:T; grep -r GITHUB .",
      "cat -- .env $secret:T",
      "cat ./.env $secret:T",
      `cat ${join(dir, ".env")} $secret:T`,
    ];
    const results = attacks.map((c) => [c, preToolUse(sb, dir, c)] as const);
    for (const [, a] of results) T.mixed.attempt(contained(a));
    expect(
      results.filter(([, a]) => !contained(a)).map(([c, a]) => [c, a.decision, a.command]),
    ).toEqual([]);
  });

  it("the prefix written by hand, with this very node and entry, in front of a read, is denied", () => {
    setup();
    const prefix = (key = b32("b")) =>
      `${process.execPath} ${ENTRY} exec --grant g_${b32("c")} --grant-key ${key} -- `;
    const attacks = [
      `${prefix()}cat .env`,
      `${prefix()}cat conf/notes.txt`,
      `true; ${prefix()}cat .env`,
      `${prefix(b32("a"))}true`,
      `${process.execPath} ${ENTRY} exec --grant g_${b32("c")} --grant-key ${b32("b")} --cap deploy-db -- true`,
      `${prefix()}${prefix()}cat .env`,
      `cat .env ${prefix()}true`,
    ];
    const results = attacks.map((c) => [c, preToolUse(sb, dir, c)] as const);
    for (const [, a] of results) T.forged.attempt(contained(a));
    expect(results.filter(([, a]) => !contained(a)).map(([c, a]) => [c, a.decision])).toEqual([]);
  });
});
