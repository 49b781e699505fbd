// The environment the agent inherited (and hands to every hook and every command it runs): the
// variables that hold secrets, by name (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*KEY*`, cloud
// credential variables…) and by detection (a token-shaped value under any name). Their values are
// matched like managed values (every encoding) without being stored anywhere: they live in this
// process's memory only, for the duration of one hook call. Pure apart from reading `env`.
import { PREFILTER_LITERALS, PREFILTER_REST_SOURCE } from "./detectors/prefilter.generated.js";
import { createValueMatcher, type ValueMatcher } from "./managed-values.js";
import type { ManagedSecrets } from "./rule.js";

/** Names that say "this holds a secret": these words anywhere in the name… */
const SECRET_WORD =
  /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SIGNING_?KEY|DATABASE_URL|CONN(ECTION)?_?STR(ING)?)/
    .source;
/** …and these only as a whole `_`-separated part (GIT_AUTHOR_EMAIL is not an AUTH). */
const SECRET_PART = /^(KEY|AUTH|COOKIE|PAT|DSN|WEBHOOK|PASS|PW)$/.source;

export function isSecretName(name: string): boolean {
  // A printable-ASCII name is upper-cased once and tested case-sensitively: V8 compiles these
  // alternations faster without the `i` flag (best of 6 fresh processes, ~110 names: 0.90 vs
  // 1.18 ms). Any other name keeps the `i` regexes, so nothing non-ASCII folds differently.
  const ascii = !/[^\t -~]/.test(name);
  const text = ascii ? name.toUpperCase() : name;
  // Every SECRET_WORD alternative holds one of MARKERS, and SECRET_PART only matches a whole
  // `_`-separated part: a name holding no marker and no such part (most of an environment: PATH,
  // PWD, LANG, TERM…) is answered without running the three regexes, whose first use compiles
  // them (~0.5 ms of a hook call; test/rules/inherited-env-markers.test.ts checks the answers agree).
  if (ascii && !MARKERS.some((m) => text.includes(m)) && !text.split("_").some(isPartWord))
    return false;
  const [not, word, part] = ascii ? (upperCase ??= compile("")) : (anyCase ??= compile("i"));
  if (not.test(text)) return false;
  return word.test(text) || text.split("_").some((p) => part.test(p));
}

/** A substring of every SECRET_WORD alternative. */
const MARKERS = ["TOKEN", "SECRET", "PASS", "CREDENTIAL", "KEY", "DATABASE_URL", "CONN"];
/** SECRET_PART's words (a name's part must be one of them whole). */
const PART_WORDS = ["KEY", "AUTH", "COOKIE", "PAT", "DSN", "WEBHOOK", "PASS", "PW"];
const isPartWord = (part: string): boolean => PART_WORDS.includes(part);

/** isSecretName by the three regexes alone (the reference the marker shortcut is tested against). */
export function isSecretNameByRegex(name: string): boolean {
  const ascii = !/[^\t -~]/.test(name);
  const [not, word, part] = ascii ? (upperCase ??= compile("")) : (anyCase ??= compile("i"));
  const text = ascii ? name.toUpperCase() : name;
  if (not.test(text)) return false;
  return word.test(text) || text.split("_").some((p) => part.test(p));
}

type NameRegexes = [not: RegExp, word: RegExp, part: RegExp];
let upperCase: NameRegexes | undefined;
let anyCase: NameRegexes | undefined;
function compile(flags: string): NameRegexes {
  return [
    new RegExp(NOT_SECRET_NAME, flags),
    new RegExp(SECRET_WORD, flags),
    new RegExp(SECRET_PART, flags),
  ];
}

/**
 * Names that match SECRET_NAME but hold no secret (sockets, paths, switches; git's
 * GIT_CONFIG_KEY_<n> holds a config key's name, its value is in GIT_CONFIG_VALUE_<n>).
 */
const NOT_SECRET_NAME =
  /(_SOCK|_PATH|_FILE|_DIR|_HOME|_URL_BASE|_ENABLED|_DISABLED|_MODE|_TYPE|_ID_FILE|_HELPER|_PROVIDER|_METHOD|_KEYMAP)$|^(XAUTHORITY|KEYTIMEOUT|KEYMAP|GPG_AGENT_INFO|SSH_AUTH_SOCK|DBUS_SESSION_BUS_ADDRESS)$|^GIT_CONFIG_KEY_\d+$|^HOOKPACK_|^NPM_CONFIG_/
    .source;

/** Values shorter than this are never treated as secrets (too many false hits in output). */
export const MIN_INHERITED_LENGTH = 8;

/** A value that is a path, a number, a switch or a URL without credentials: not a secret. */
function looksHarmless(value: string): boolean {
  if (value.length < MIN_INHERITED_LENGTH) return true;
  if (/^[~./]/.test(value) && !/\s/.test(value) && value.includes("/")) return true;
  if (/^(true|false|yes|no|on|off|none|null|undefined|\d+)$/i.test(value)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]+(:\d+)?(\/\S*)?$/i.test(value)) return true;
  return false;
}

export interface InheritedSecret {
  name: string;
  /** Why it counts: its name, or a detector found a token in its value. */
  why: "name" | "detected";
}

export interface InheritedEnv {
  /** The variables that hold secrets (names only), sorted. */
  readonly secrets: readonly InheritedSecret[];
  /** Occurrences of their values (every encoding) in a text, labelled with the variable's name. */
  find(text: string): Array<{ start: number; end: number; name: string }>;
}

/**
 * The inherited secrets of `env`. `detect` is the scanner's cheap check (a token-shaped value
 * under an innocuous name counts too). Nothing is computed until first use.
 */
export function inheritedEnv(
  env: NodeJS.ProcessEnv,
  detect: (text: string) => boolean,
): InheritedEnv {
  let found: Array<InheritedSecret & { value: string }> | undefined;
  let matcher: ValueMatcher | undefined;
  const list = () => {
    if (found) return found;
    found = [];
    const unnamed: Array<{ name: string; value: string }> = [];
    for (const [name, value] of Object.entries(env)) {
      if (
        typeof value !== "string" ||
        value.length < MIN_INHERITED_LENGTH ||
        value.length > 64 * 1024
      )
        continue;
      if (isSecretName(name) && !looksHarmless(value)) found.push({ name, why: "name", value });
      else if (!/^HOOKPACK_/.test(name)) unnamed.push({ name, value });
    }
    const hits = detectEach(
      unnamed.map((u) => u.value),
      detect,
    );
    unnamed.forEach((u, i) => hits[i] && found!.push({ ...u, why: "detected" }));
    // By code unit, not localeCompare: its first call sets up ICU's collator, ~7 ms of a hook call
    // whose environment holds two inherited secrets or more (issue 21).
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return found;
  };
  return {
    get secrets() {
      return list().map(({ name, why }) => ({ name, why }));
    },
    find(text) {
      const all = list();
      if (all.length === 0) return [];
      matcher ??= createValueMatcher(
        all.map(({ name, value }) => ({ name, value })),
        { minLength: MIN_INHERITED_LENGTH },
      );
      return matcher.find(text).map(({ start, end, name }) => ({ start, end, name }));
    },
  };
}

/** Values joined per pass: under the prefilter's keyword cap (4,096 assignments of 17+ characters). */
const JOINED_MAX = 32 * 1024;
/** The prefilter confirms at most this many occurrences of one literal (rules/secretlint.ts). */
const OCCURRENCE_CAP = 64;
/** The one regex of the prefilter that is not a literal: joining is sound only while it has no ^ or $. */
const REST_ANCHORED = /[\^$]/.test(PREFILTER_REST_SOURCE.replace(/\\.|\[(?:\\.|[^\]])*\]/g, ""));

/**
 * `detect` of each value, in one pass over the values joined by newlines while that pass says
 * "nothing": ~100 separate calls cost 7–9 ms in a fresh process (V8 warming the prefilter up
 * call by call), one call over the joined text ~0.3 ms. Sound for the hook prefilter: it finds
 * literals by indexOf and confirms their shapes at the hit (a value's match is a match in the
 * joined text, and a newline ends a shape as the end of the value does), reads keyword names up to
 * whitespace, and its one regex has no anchors (else REST_ANCHORED: value by value). Its caps are
 * kept: a joined text holding some literal 64 times or more is checked value by value, so no
 * value's hit can hide behind 64 others.
 */
function detectEach(values: string[], detect: (text: string) => boolean): boolean[] {
  const out = values.map(() => false);
  let from = 0;
  while (from < values.length) {
    let to = from;
    let size = 0;
    while (to < values.length && (to === from || size + values[to]!.length < JOINED_MAX))
      size += values[to++]!.length + 1;
    const joined = values.slice(from, to).join("\n");
    if (to - from === 1 || REST_ANCHORED || crowded(joined) || detect(joined))
      for (let i = from; i < to; i++) out[i] = detect(values[i]!);
    from = to;
  }
  return out;
}

/** Whether some prefilter literal occurs OCCURRENCE_CAP times or more in `text`. */
function crowded(text: string): boolean {
  // Indexed, not `for (const [literal] of …)`: iterators allocate per literal in the interpreter.
  for (let i = 0; i < PREFILTER_LITERALS.length; i++) {
    const literal = PREFILTER_LITERALS[i]![0];
    let n = 0;
    for (let at = text.indexOf(literal); at !== -1; at = text.indexOf(literal, at + 1))
      if (++n >= OCCURRENCE_CAP) return true;
  }
  return false;
}

/** The variables of `env` that hold secrets and a command should not inherit (names only). */
export function inheritedSecretNames(
  env: NodeJS.ProcessEnv,
  detect: (text: string) => boolean,
): string[] {
  return inheritedEnv(env, detect).secrets.map((s) => s.name);
}

/**
 * Managed secrets plus the inherited ones: `find` reports both (a managed name wins where they
 * overlap), `exposed` records managed names only (an inherited variable is not a stored secret;
 * its redactions are in the audit trail by label).
 */
export function withInherited(managed: ManagedSecrets, inherited: InheritedEnv): ManagedSecrets {
  return {
    home: managed.home,
    find(text) {
      const own = managed.find(text);
      const env = inherited.find(text);
      if (env.length === 0) return own;
      const all = [...own, ...env].sort((a, b) => a.start - b.start || b.end - a.end);
      const out: Array<{ start: number; end: number; name: string }> = [];
      for (const h of all) {
        const last = out[out.length - 1];
        if (last && h.start < last.end) {
          if (h.end > last.end) last.end = h.end;
          continue;
        }
        out.push({ ...h });
      }
      return out;
    },
    exposed(names, where) {
      const envNames = new Set(inherited.secrets.map((s) => s.name));
      const own = names.filter((n) => !envNames.has(n));
      if (own.length > 0) managed.exposed(own, where);
    },
  };
}
