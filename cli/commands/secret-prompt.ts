// Reading a secret from a person: stdin when it is piped, else a no-echo prompt on the terminal.
// Never from argv (it would land in shell history and `ps`).
import { openSync } from "node:fs";
import tty from "node:tty";
import { HookpackError } from "../../core/errors.js";
import type { Io } from "../io.js";

/** Reads all of a piped stdin; one trailing newline (\n or \r\n) is removed. */
export async function readPipedValue(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Asks on the controlling terminal with echo off. */
export async function promptHidden(question: string): Promise<string> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync("/dev/tty", "r");
    outFd = openSync("/dev/tty", "w");
  } catch {
    throw new HookpackError(
      "NO_TERMINAL",
      "hookpack: no terminal to ask on, and nothing was piped to stdin.",
      "pipe the value in, e.g. `pass show x | hookpack secret set NAME`.",
    );
  }
  const input = new tty.ReadStream(inFd);
  const output = new tty.WriteStream(outFd);
  output.write(question);
  input.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      input.on("data", (buf: Buffer) => {
        for (const ch of buf.toString("utf8")) {
          if (ch === "\r" || ch === "\n") return resolve(value);
          if (ch === "\u0003" || (ch === "\u0004" && value === ""))
            return reject(
              new HookpackError(
                "CANCELLED",
                "hookpack: cancelled; nothing was changed.",
                undefined,
                ch === "\u0003" ? 130 : 1,
              ),
            );
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch >= " " || ch === "\t") value += ch;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    output.write("\n");
    input.destroy();
    output.destroy();
  }
}

/** The value for `secret set`: piped stdin, or a hidden prompt when stdin is a terminal. */
export async function readSecretValue(io: Io, name: string): Promise<string> {
  if (io.stdin.isTTY) return promptHidden(`hookpack: value for ${name} (input hidden): `);
  return readPipedValue(io.stdin);
}

export function passphrasePrompt(purpose: "new" | "unlock"): Promise<string> {
  return promptHidden(
    purpose === "new"
      ? "hookpack: new store passphrase (input hidden): "
      : "hookpack: store passphrase (input hidden): ",
  );
}
