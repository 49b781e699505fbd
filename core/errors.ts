// Expected failures carry a code, a sentence (what happened, where) and a hint (what to do).
export class HookpackError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2 | 130;
  constructor(code: string, message: string, hint?: string, exitCode: 1 | 2 | 130 = 2) {
    super(message);
    this.name = "HookpackError";
    this.code = code;
    this.hint = hint;
    this.exitCode = exitCode;
  }
}
