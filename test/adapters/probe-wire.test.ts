// doctor's probe of each agent's hook is in that agent's own wire format (Adapter.probe): the
// harmless call parses, with the agent's own adapter, as a before-tool shell call running `true`
// from the given directory, and its malformed twin is rejected by name. Read with every other
// adapter, a probe is not that call: a probe shaped for one agent (doctor once sent Claude's to
// every agent, and six of nine ignored it) would show up here. The one crossing is documented:
// Codex CLI speaks Claude Code's wire format, so Claude's probe reads as a Codex call as well.
// That a broken hook is reported broken, per agent, through the real doctor: test/installer/doctor-probes.test.ts.
import { describe, expect, it } from "vitest";
import { isPayloadError } from "../../adapters/adapter.js";
import { ADAPTERS } from "../../adapters/index.js";
import type { AgentId } from "../../hooks/event.js";

const AGENTS = Object.keys(ADAPTERS) as AgentId[];
const CWD = "/nonexistent-hookpack-probe";

/** Probes another adapter reads as the same harmless call: "probe of -> read by". */
const SHARED_WIRE = new Set(["claude-code -> codex"]);

/** What `reader` makes of `payload`: the shell command of a before-tool call, or why not. */
async function readAs(reader: AgentId, payload: unknown): Promise<string> {
  try {
    const parsed = await ADAPTERS[reader].parse(payload);
    if (parsed.kind !== "event") return `ignored ${parsed.eventName}`;
    const e = parsed.event;
    if (e.kind !== "before-tool") return e.kind;
    return e.tool.kind === "shell" ? `shell: ${e.tool.command} in ${e.session.cwd}` : e.tool.kind;
  } catch (error) {
    return isPayloadError(error) ? "rejected" : `threw ${(error as Error).message}`;
  }
}

describe.each(AGENTS)("doctor's probe for %s", (agent) => {
  const adapter = ADAPTERS[agent];

  it("is a harmless shell call in its own wire format, and its malformed twin is rejected", async () => {
    expect(adapter.probe).toBeDefined();
    const harmless = adapter.probe.harmless(CWD);
    expect(await readAs(agent, harmless)).toBe(`shell: true in ${CWD}`);
    const parsed = await adapter.parse(harmless);
    if (parsed.kind === "event") expect(parsed.event.agent).toBe(agent);
    expect(await readAs(agent, adapter.probe.malformed(CWD))).toBe("rejected");
    // A healthy hook's answer (empty, exit 0) runs the call; a failing one does not.
    expect(adapter.probe.refusal({ exitCode: 0, stdout: "", stderr: "" })).toBeUndefined();
    expect(adapter.probe.refusal({ exitCode: 1, stdout: "", stderr: "boom" })).toBeTruthy();
  });

  it("is not the same call in another agent's wire format", async () => {
    const harmless = adapter.probe.harmless(CWD);
    const crossings: string[] = [];
    for (const other of AGENTS.filter((a) => a !== agent))
      if ((await readAs(other, harmless)).startsWith("shell: true"))
        crossings.push(`${agent} -> ${other}`);
    expect(crossings).toEqual([...SHARED_WIRE].filter((e) => e.startsWith(`${agent} -> `)));
  });
});
