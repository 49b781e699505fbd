// What a command may touch, injected so tests can run commands in process.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** `--help`: one line per option, [flag, what it does]. */
  options?: ReadonlyArray<readonly [string, string]>;
  /** `--help`: one typical command line. */
  example?: string;
  run(args: string[], io: Io): Promise<number>;
}
