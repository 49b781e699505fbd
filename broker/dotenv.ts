// dotenv files: parse them for `exec --env-file` (values may be $secret:NAME references) and plan
// `secret import` (values into the store, the file rewritten to references, everything else
// byte for byte as it was). Pure: text in, data out.

export const REF_RE = /^\$(?:secret:([A-Za-z_][A-Za-z0-9_]*)|\{secret:([A-Za-z_][A-Za-z0-9_]*)\})$/;

export interface DotenvEntry {
  key: string;
  value: string;
  /** The name when the whole value is a secret reference. */
  ref?: string;
  /** 1-based line of the key. */
  line: number;
  /** Offsets of the value as written (quotes included) in the source text. */
  valueStart: number;
  valueEnd: number;
  quoted: boolean;
}

export interface DotenvParse {
  entries: DotenvEntry[];
  errors: Array<{ line: number; message: string }>;
}

const KEY_LINE = /^[ \t]*(export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/;

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
}

/** A small, strict dotenv parser: KEY=value, export, quotes ('…', "…" multi-line, `…`), # comments. */
export function parseDotenv(text: string): DotenvParse {
  const entries: DotenvEntry[] = [];
  const errors: DotenvParse["errors"] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const eol = text.indexOf("\n", pos);
    const lineEnd = eol === -1 ? text.length : eol;
    const raw = text.slice(pos, lineEnd);
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const m = KEY_LINE.exec(raw);
    if (!m) {
      errors.push({ line, message: "not KEY=value" });
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const key = m[2]!;
    const valueStart = pos + m[0].length;
    const first = text[valueStart];
    let value: string;
    let valueEnd: number;
    let quoted = false;
    let nextPos: number;
    const startLine = line;
    if (first === '"' || first === "'" || first === "`") {
      quoted = true;
      let i = valueStart + 1;
      while (i < text.length && text[i] !== first) i += text[i] === "\\" && first === '"' ? 2 : 1;
      if (i >= text.length) {
        errors.push({ line, message: "unterminated quoted value" });
        break;
      }
      const inner = text.slice(valueStart + 1, i);
      value = first === '"' ? unescapeDouble(inner) : inner;
      valueEnd = i + 1;
      line += (inner.match(/\n/g) ?? []).length;
      const rest = text.indexOf("\n", valueEnd);
      nextPos = rest === -1 ? text.length : rest + 1;
    } else {
      const rest = text.slice(valueStart, lineEnd);
      const hash = rest.search(/[ \t]#/);
      const v = (hash === -1 ? rest : rest.slice(0, hash)).replace(/[ \t\r]+$/, "");
      value = v;
      valueEnd = valueStart + v.length;
      nextPos = lineEnd + 1;
    }
    const r = REF_RE.exec(value);
    entries.push({
      key,
      value,
      ref: r ? (r[1] ?? r[2]) : undefined,
      line: startLine,
      valueStart,
      valueEnd,
      quoted,
    });
    pos = nextPos;
    line++;
  }
  return { entries, errors };
}

export interface ImportStep {
  key: string;
  name: string;
  line: number;
  action: "import" | "skip";
  reason?: string;
  /** Only for action "import"; never printed. */
  value?: string;
}

/** What `secret import` will do with each line, and the rewritten file. */
export function planImport(
  text: string,
  options: { minLength: number; existing: ReadonlySet<string> },
): { steps: ImportStep[]; rewritten: string; errors: DotenvParse["errors"] } {
  const { entries, errors } = parseDotenv(text);
  const steps: ImportStep[] = [];
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const name = e.key.replace(/[^A-Za-z0-9_]/g, "_");
    const step: ImportStep = { key: e.key, name, line: e.line, action: "skip" };
    if (e.ref) step.reason = "already a reference";
    else if (e.value === "") step.reason = "empty value";
    else if (/^\$\{?secret:/.test(e.value)) step.reason = "malformed reference; fix it by hand";
    else if (e.value.length < options.minLength)
      step.reason = `value shorter than ${options.minLength} characters (too short to mask reliably; left as is)`;
    else if (seen.has(name))
      step.reason = `${name} appears twice in the file; the first one is imported`;
    else if (options.existing.has(name))
      step.reason = `${name} already exists in the store (use --overwrite to replace it)`;
    else {
      step.action = "import";
      step.value = e.value;
      edits.push({ start: e.valueStart, end: e.valueEnd, text: `$secret:${name}` });
    }
    seen.add(name);
    steps.push(step);
  }
  let rewritten = "";
  let at = 0;
  for (const ed of edits) {
    rewritten += text.slice(at, ed.start) + ed.text;
    at = ed.end;
  }
  rewritten += text.slice(at);
  return { steps, rewritten, errors };
}
