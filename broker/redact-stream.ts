// Streaming redaction of a child's stdout or stderr. Pure: text in, text out; exec.ts owns the
// streams and the idle timer. Text is a latin1 view of the bytes (binary safe: every byte is one
// char and the redaction labels are ASCII), so the matcher must be built in "bytes" mode.
//
// Two stages:
//  1. ValueStream: managed values in every encoding (rules/managed-values.ts). A match split
//     across reads is still found: only the shortest tail that could still become a match is
//     held back, and only until the next read (or an idle release, below).
//  2. PatternStage: secretlint's detectors (pattern-detected secrets). These need whole lines
//     (and whole PEM blocks), so complete lines are scanned and emitted; a partial line is
//     emitted when the child goes quiet.
import {
  applyMatches,
  redactionLabel,
  type Match,
  type ValueMatcher,
} from "../rules/managed-values.js";
import {
  secretScanner,
  suggestName,
  warmUpPrefilter,
  type Finding,
  type SecretScanner,
} from "../rules/secretlint.js";

/**
 * A batch of output at least this long goes straight to the detection engine (bulk mode, as in
 * pre-push and check-pack): the hook's prefilter is built for one small tool output and follows
 * every `name = value` of source code (47 % of `hookpack exec -- cat` of 8.6 MB of source text,
 * profiled), and scan() ran it a second time on every hit.
 */
const BULK_FROM = 16 * 1024;

export interface RedactionStats {
  count: number;
  names: Set<string>;
}

export class ValueStream {
  /** Text not yet emitted, except its first `shown` chars, which were emitted raw by an idle release. */
  private held = "";
  private shown = 0;
  readonly stats: RedactionStats = { count: 0, names: new Set() };

  private readonly matcher: ValueMatcher;
  private readonly releaseBelow: number;

  /** @param releaseBelow an idle release emits a pending tail only when it is shorter than this. */
  constructor(matcher: ValueMatcher, releaseBelow: number) {
    this.matcher = matcher;
    this.releaseBelow = releaseBelow;
  }

  /** True when some text is held back (the caller arms its idle timer). */
  get holding(): boolean {
    return this.held.length > this.shown;
  }

  push(chunk: string): string {
    if (this.matcher.patterns.length === 0) return chunk;
    const buf = this.held + chunk;
    const matches = this.matcher.find(buf);
    let cut = this.matcher.pendingFrom(buf);
    // A match that reaches into the pending tail waits with it: more input may extend it.
    for (const m of matches) if (m.start < cut && m.end > cut) cut = m.start;
    const done = matches.filter((m) => m.end <= cut);
    const out = this.emit(buf, done, cut);
    this.shown = Math.max(0, this.shown - cut);
    this.held = buf.slice(cut);
    return out;
  }

  /**
   * The child went quiet. Emit what is held unless its unmatched tail — counted from where a value
   * could start, shown characters included — is long enough to be a real part of a secret: at
   * most `releaseBelow - 1` characters of any one occurrence of a value are ever emitted raw,
   * whatever the writer's pauses (test/security/mask-stream.attack.test.ts). What was emitted raw stays as context, so if the rest of a value
   * arrives later it is still recognised and its remainder masked.
   */
  releaseIdle(): string {
    if (!this.holding) return "";
    const buf = this.held;
    const matches = this.matcher.find(buf);
    const lastEnd = matches.length > 0 ? matches[matches.length - 1]!.end : 0;
    // The bound counts every character of the tail that could still become a value, including the
    // ones an earlier idle release already showed: a writer pausing before each character must not
    // get one more character out per pause (it did: all but the last one).
    const pendingStart = Math.max(lastEnd, this.matcher.pendingFrom(buf));
    if (buf.length - pendingStart >= this.releaseBelow) return "";
    const out = this.emit(buf, matches, buf.length);
    const keepFrom = Math.max(lastEnd, buf.length - Math.max(0, this.matcher.maxLength - 1));
    this.held = buf.slice(keepFrom);
    this.shown = this.held.length;
    return out;
  }

  /** End of stream: everything left, redacted. */
  flush(): string {
    const buf = this.held;
    const out = this.emit(buf, this.matcher.find(buf), buf.length);
    this.held = "";
    this.shown = 0;
    return out;
  }

  /** buf[0, to) with `matches` replaced, minus the first `shown` chars already emitted. */
  private emit(buf: string, matches: readonly Match[], to: number): string {
    let out = "";
    let at = 0;
    for (const m of matches) {
      if (m.end > to) break;
      if (at < m.start) out += buf.slice(Math.max(at, this.shown), m.start);
      out += redactionLabel(m.name);
      this.stats.count++;
      this.stats.names.add(m.name);
      at = m.end;
    }
    if (at < to) out += buf.slice(Math.max(at, this.shown), to);
    return out;
  }
}

const PEM_BEGIN = /-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/g;
const PEM_END = /-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----/;

export interface PatternStageOptions {
  /** Scan a line without its newline once it is this long (default 64 KiB). */
  maxLine?: number;
  /** Hold an unterminated PEM block at most this long (default 1 MiB). */
  maxBlock?: number;
  /** The file name secretlint sees (path-gated rules). */
  filePath?: string;
}

/** Secrets found by pattern (secretlint), line by line, labelled e.g. [REDACTED:GITHUB_TOKEN]. */
export class PatternStage {
  private pending = "";
  readonly stats: RedactionStats = { count: 0, names: new Set() };
  private readonly maxLine: number;
  private readonly maxBlock: number;
  private readonly filePath: string;

  private readonly scanner: SecretScanner;

  constructor(scanner: SecretScanner, options: PatternStageOptions = {}) {
    this.scanner = scanner;
    this.maxLine = options.maxLine ?? 64 * 1024;
    this.maxBlock = options.maxBlock ?? 1024 * 1024;
    this.filePath = options.filePath ?? "command-output.txt";
  }

  get holding(): boolean {
    return this.pending.length > 0;
  }

  async push(text: string): Promise<string> {
    this.pending += text;
    let ready = this.pending.lastIndexOf("\n") + 1;
    if (ready === 0 && this.pending.length >= this.maxLine) ready = this.pending.length - 1024;
    if (ready <= 0) return "";
    ready = this.holdOpenBlock(ready);
    if (ready <= 0) return "";
    const part = this.pending.slice(0, ready);
    this.pending = this.pending.slice(ready);
    return this.scan(part);
  }

  /** The child went quiet: scan and emit the partial line too (not an open PEM block). */
  async releaseIdle(): Promise<string> {
    const ready = this.holdOpenBlock(this.pending.length);
    if (ready <= 0) return "";
    const part = this.pending.slice(0, ready);
    this.pending = this.pending.slice(ready);
    return this.scan(part);
  }

  async flush(): Promise<string> {
    const part = this.pending;
    this.pending = "";
    return part ? this.scan(part) : "";
  }

  /** Moves `ready` back to the start of a private-key block whose END has not arrived yet. */
  private holdOpenBlock(ready: number): number {
    if (!this.pending.includes("PRIVATE KEY")) return ready;
    let lastBegin = -1;
    for (const m of this.pending.slice(0, ready).matchAll(PEM_BEGIN)) lastBegin = m.index;
    if (lastBegin === -1) return ready;
    if (PEM_END.test(this.pending.slice(lastBegin, ready))) return ready;
    if (this.pending.length - lastBegin > this.maxBlock) return ready; // give up holding; scan as is
    return lastBegin;
  }

  private async scan(text: string): Promise<string> {
    if (this.scanner === secretScanner && text.length >= BULK_FROM) warmUpPrefilter();
    else if (!this.scanner.mayContainSecret(text)) return text;
    const findings = await this.scanner.scan(text, this.filePath);
    if (findings.length === 0) return text;
    const matches = mergeFindings(findings);
    const result = applyMatches(text, matches);
    this.stats.count += result.count;
    for (const n of result.names) this.stats.names.add(n);
    return result.text;
  }
}

function mergeFindings(findings: readonly Finding[]): Match[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Match[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      last.end = Math.max(last.end, f.end);
      continue;
    }
    if (f.end > f.start)
      out.push({ start: f.start, end: f.end, name: suggestName(f), form: `pattern:${f.ruleId}` });
  }
  return out;
}

/** Both stages for one output stream, with one redaction count. Order of output is kept. */
export class OutputRedactor {
  readonly values: ValueStream;
  readonly patterns: PatternStage | undefined;

  constructor(
    matcher: ValueMatcher,
    options: { releaseBelow: number; scanner?: SecretScanner; filePath?: string },
  ) {
    this.values = new ValueStream(matcher, options.releaseBelow);
    this.patterns = options.scanner
      ? new PatternStage(options.scanner, { filePath: options.filePath })
      : undefined;
  }

  get holding(): boolean {
    return this.values.holding || (this.patterns?.holding ?? false);
  }

  get count(): number {
    return this.values.stats.count + (this.patterns?.stats.count ?? 0);
  }

  get names(): string[] {
    return [...new Set([...this.values.stats.names, ...(this.patterns?.stats.names ?? [])])];
  }

  async push(text: string): Promise<string> {
    const a = this.values.push(text);
    return this.patterns ? this.patterns.push(a) : a;
  }

  async releaseIdle(): Promise<string> {
    const a = this.values.releaseIdle();
    if (!this.patterns) return a;
    const b = a ? await this.patterns.push(a) : "";
    return b + (await this.patterns.releaseIdle());
  }

  async flush(): Promise<string> {
    const a = this.values.flush();
    if (!this.patterns) return a;
    return (await this.patterns.push(a)) + (await this.patterns.flush());
  }
}
