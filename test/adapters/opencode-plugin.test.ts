// The plugin hookpack installs for OpenCode, loaded as a module and called the way OpenCode calls
// plugins (the same `output` object is used after the hook returns), against the real built hook:
// a block throws, an args rewrite and an output redaction happen IN PLACE (OpenCode ignores a
// reassigned output.args), and any failure but exit 2 lets the call through.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { opencodePlugin } from "../../adapters/opencode-plugin.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { BIN, sandbox } from "../helpers/run.js";

type Hooks = Record<
  "tool.execute.before" | "tool.execute.after",
  (input: Record<string, unknown>, output: Record<string, unknown>) => Promise<void>
>;

const tokens = fakeTokens(5);
const box = sandbox();
const dir = mkdtempSync(join(tmpdir(), "hookpack-opencode-plugin-"));
const saved = { ...process.env };
let n = 0;

async function load(command: string): Promise<Hooks> {
  const file = join(dir, `plugin-${n++}.mjs`);
  writeFileSync(file, opencodePlugin(command));
  const mod = (await import(pathToFileURL(file).href)) as {
    HookpackPlugin: (ctx: { directory: string }) => Promise<Hooks>;
  };
  return mod.HookpackPlugin({ directory: box.project });
}
const real = () => load(`'${process.execPath}' '${BIN}' hook opencode`);

beforeAll(() => Object.assign(process.env, box.env));
afterAll(() => {
  process.env = saved;
  box.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("OpenCode plugin", () => {
  it("blocks a call carrying a literal token by throwing hookpack's reason", async () => {
    const hooks = await real();
    const output = { args: { command: `echo ${tokens.github}` } };
    await expect(
      hooks["tool.execute.before"]({ tool: "bash", sessionID: "s", callID: "c" }, output),
    ).rejects.toThrow(/hookpack blocked this bash call/);
  });

  it("leaves a harmless call untouched", async () => {
    const hooks = await real();
    const args = { command: "ls", description: "list" };
    const output = { args };
    await hooks["tool.execute.before"]({ tool: "bash", sessionID: "s", callID: "c" }, output);
    expect(output.args).toBe(args);
    expect(args).toEqual({ command: "ls", description: "list" });
  });

  it("redacts a token in the result in place: the same object OpenCode returns to the model", async () => {
    const hooks = await real();
    const metadata = { output: `GH_TOKEN=${tokens.github}\n`, exit: 0 };
    const output = { title: "env", output: `GH_TOKEN=${tokens.github}\n`, metadata };
    await hooks["tool.execute.after"](
      { tool: "bash", sessionID: "s", callID: "c", args: { command: "env" } },
      output,
    );
    expect(output.output).toBe("GH_TOKEN=[REDACTED:github-pat]\n");
    expect(output.metadata.output).toBe("GH_TOKEN=[REDACTED:github-pat]\n");
    expect(output.title).toBe("env");
    expect(JSON.stringify(output).includes(tokens.github)).toBe(false);
  });

  it("applies an args answer by mutating output.args, never by reassigning it", async () => {
    const hooks = await load(`printf '%s' '{"args":{"command":"rewritten"}}'`);
    const args = { command: "original", description: "d" };
    const output = { args };
    await hooks["tool.execute.before"]({ tool: "bash" }, output);
    expect(output.args).toBe(args);
    expect(args).toEqual({ command: "rewritten", description: "d" });
  });

  it("exit 2 blocks with stderr; any other failure lets the call through", async () => {
    const blocked = await load("echo 'hookpack: blocked for a reason' >&2; exit 2");
    await expect(
      blocked["tool.execute.before"]({ tool: "bash" }, { args: { command: "ls" } }),
    ).rejects.toThrow("hookpack: blocked for a reason");
    const broken = await load("echo oops; exit 1");
    const output = { args: { command: "ls" } };
    await expect(broken["tool.execute.before"]({ tool: "bash" }, output)).resolves.toBeUndefined();
    expect(output.args.command).toBe("ls");
  });
});
