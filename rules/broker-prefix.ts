// hookpack's own brokered-exec prefix (`<node> <entry> exec --grant … --grant-key … --`), as this
// process writes it in front of a program that receives a `$secret:` value. A leaf module: the read
// guard's cheap look and protect-hookpack-state's interpreter check both take it out of a rewritten
// command before they look (its entry lives under hookpack's home, and `node` is an interpreter).
import { dirname, join, resolve } from "node:path";

/** The entry this process names in the prefix it writes (as hooks/secret-ref-host.ts selfInvocation). */
export function ownEntry(): string {
  const argv1 = process.argv[1];
  return argv1 && /hookpack\.c?js$/.test(argv1)
    ? resolve(argv1)
    : join(typeof __dirname === "string" ? __dirname : dirname(argv1 ?? "."), "hookpack.cjs");
}

/**
 * hookpack's own brokered-exec prefix, exactly as this process writes it in front of a program that
 * receives a `$secret:` value (rules/secret-refs.ts brokerPrefix: this node, this entry, a grant id
 * and key, then `--`), or null when this process would quote its paths (then nothing is stripped).
 */
let ownPrefix: RegExp | null | undefined;
function brokerPrefixRe(): RegExp | null {
  if (ownPrefix !== undefined) return ownPrefix;
  const script = ownEntry();
  const plain = (p: string) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(p);
  const esc = (p: string) => p.replace(/[.+]/g, "\\$&");
  ownPrefix =
    script && plain(script) && plain(process.execPath)
      ? new RegExp(
          `(^|[\\s;&|(])${esc(process.execPath)} ${esc(script)} exec --grant g_[a-z2-7]{26} --grant-key [a-z2-7]{26}(?: --stdin-refs)?((?: --cap [a-z0-9-]+)*) -- `,
          "g",
        )
      : null;
  return ownPrefix;
}

/**
 * `command` with every copy of this process's own brokered-exec prefix taken out (its `--cap`
 * words kept); unchanged when there is none or this process would quote its paths.
 */
export function withoutBrokerPrefix(command: string): string {
  const prefix = command.includes(" exec --grant ") ? brokerPrefixRe() : null;
  return prefix
    ? command.replace(prefix, (_, lead: string, caps: string) => `${lead}${caps} `)
    : command;
}
