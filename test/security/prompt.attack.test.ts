// Attacks on the prompt guard, through the REAL hook process (dist/hookpack.cjs hook <agent>) with
// each agent's own prompt-submit payload: a token or a managed value pasted into a prompt in the
// shapes a user (or a page the user copied from) produces — plain, split across lines or string
// pieces, base64-encoded, hex, percent- and JSON-escaped, buried after a long text — and a payload
// that is malformed while it carries a token. "Contained": the agent is told to block (or, for
// Copilot, to replace) the prompt, and nothing hookpack writes carries the value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHook } from "../helpers/hook-run.js";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

const AGENTS = ["claude-code", "codex", "qwen", "gemini", "copilot", "cursor", "cline"] as const;
type Agent = (typeof AGENTS)[number];

function payload(agent: Agent, prompt: unknown, cwd: string): Record<string, unknown> {
  switch (agent) {
    case "claude-code":
    case "codex":
    case "qwen":
      return {
        session_id: "s-attack",
        transcript_path: `${cwd}/t.jsonl`,
        cwd,
        hook_event_name: "UserPromptSubmit",
        model: "m",
        permission_mode: "default",
        turn_id: "t1",
        prompt,
      };
    case "gemini":
      return {
        session_id: "s-attack",
        transcript_path: `${cwd}/t.json`,
        cwd,
        hook_event_name: "BeforeAgent",
        timestamp: "2026-12-05T00:00:00Z",
        prompt,
      };
    case "copilot":
      return { sessionId: "s-attack", timestamp: 1, cwd, prompt };
    case "cursor":
      return {
        hook_event_name: "beforeSubmitPrompt",
        conversation_id: "c-attack",
        workspace_roots: [cwd],
        prompt,
        attachments: [],
      };
    case "cline":
      return {
        hookName: "prompt_submit",
        taskId: "t-attack",
        workspaceRoots: [cwd],
        userPromptSubmit: { prompt, attachments: [] },
      };
  }
}

/** The agent was told to hold the prompt back. */
function blocked(agent: Agent, stdout: string, exitCode: number | null): boolean {
  let out: Record<string, unknown> = {};
  try {
    out = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  } catch {
    return false;
  }
  switch (agent) {
    case "claude-code":
    case "codex":
    case "qwen":
      return out.decision === "block" || exitCode === 2;
    case "gemini":
      return out.decision === "deny" || exitCode === 2;
    case "copilot":
      return (
        typeof out.modifiedPrompt === "string" && out.modifiedPrompt.includes("hookpack withheld")
      );
    case "cursor":
      return out.continue === false || exitCode === 2;
    case "cline":
      return out.cancel === true;
  }
}

let sb: Sandbox;
const managed = `Vv${"9f3c1a7e5b2d4c6a8e0f1b3d5c7a9e2f4b6d".slice(0, 30)}`;
const tally = new Map<string, { contained: number; attempts: number }>();

async function attempt(
  family: string,
  agent: Agent,
  prompt: unknown,
  values: readonly string[],
): Promise<boolean> {
  const r = await runHook(sb, payload(agent, prompt, sb.project), {
    agent,
    env: { HOOKPACK_KEY_BACKEND: "file" },
  });
  const leaked = values.some((v) => r.stdout.includes(v) || r.stderr.includes(v));
  const ok = blocked(agent, r.stdout, r.exitCode) && !leaked;
  const t = tally.get(family) ?? { contained: 0, attempts: 0 };
  t.attempts++;
  if (ok) t.contained++;
  tally.set(family, t);
  return ok;
}

beforeAll(async () => {
  sb = sandbox();
  const set = await hookpack(["secret", "set", "DEPLOY_KEY"], {
    input: managed,
    env: { ...sb.env, HOOKPACK_KEY_BACKEND: "file" },
  });
  expect(set.exitCode, set.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  const lines = [...tally].map(([family, t]) => `  ${family}: ${t.contained}/${t.attempts}`);
  console.log(`[attack] prompt guard, contained/attempts per family:\n${lines.join("\n")}`);
  sb?.cleanup();
});

const t = fakeTokens(16);
const DETECTED = {
  github: t.github,
  aws: t.awsAccessKeyId,
  npm: t.npm,
  slack: t.slackBot,
  openai: t.openai,
  anthropic: t.anthropic,
  stripe: t.stripe,
  postgres: t.postgresUrl,
  privateKey: t.privateKey,
};

describe("attack: secrets pasted into a prompt (every agent's prompt hook)", () => {
  it("plain tokens of every detected kind, in every agent's payload", async () => {
    for (const agent of AGENTS) {
      for (const [kind, token] of Object.entries(DETECTED)) {
        expect(
          await attempt(
            "plain token",
            agent,
            `here is my ${kind} credential: ${token}\nplease deploy`,
            [token],
          ),
          `${agent} ${kind}`,
        ).toBe(true);
      }
    }
  }, 120_000);

  it("a token split across lines, indented, or in quoted pieces joined with +", async () => {
    const tok = t.github;
    const shapes = [
      `token: ${tok.slice(0, 12)}\n${tok.slice(12)}`,
      `token:\n  ${tok.slice(0, 20)}\n  ${tok.slice(20)}\n`,
      `const t = "${tok.slice(0, 8)}" +\n  "${tok.slice(8, 24)}" +\n  "${tok.slice(24)}";`,
      `${tok.slice(0, 4)} ${tok.slice(4, 16)} ${tok.slice(16)}`,
      `token='${tok.slice(0, 10)}'\\\n'${tok.slice(10)}'`,
    ];
    for (const agent of AGENTS)
      for (const [i, p] of shapes.entries())
        expect(await attempt("split token", agent, p, [tok]), `${agent} shape ${i}`).toBe(true);
  }, 120_000);

  it("a token base64-encoded (standard and URL-safe), and a private key base64-encoded", async () => {
    const encs = [
      Buffer.from(t.github).toString("base64"),
      Buffer.from(`GH_TOKEN=${t.npm}`).toString("base64url"),
      Buffer.from(t.privateKey).toString("base64"),
      Buffer.from(`{"key":"${t.stripe}"}`).toString("base64"),
    ];
    for (const agent of AGENTS)
      for (const [i, e] of encs.entries())
        expect(
          await attempt("base64 token", agent, `decode this and use it: ${e}`, [e]),
          `${agent} encoding ${i}`,
        ).toBe(true);
  }, 120_000);

  it("a managed value: raw, base64, hex, percent-encoded, JSON-escaped, split across lines, base64 twice", async () => {
    const forms = [
      managed,
      Buffer.from(managed).toString("base64"),
      Buffer.from(managed).toString("hex"),
      encodeURIComponent(`k=${managed}&x=1`),
      JSON.stringify({ key: managed }),
      `${managed.slice(0, 10)}\n${managed.slice(10)}`,
      Buffer.from(Buffer.from(managed).toString("base64")).toString("base64"),
    ];
    for (const agent of AGENTS)
      for (const [i, f] of forms.entries())
        expect(
          await attempt("managed value", agent, `use ${f} for the upload`, [managed, f]),
          `${agent} form ${i}`,
        ).toBe(true);
  }, 120_000);

  it("a token after 300 KB of harmless text, and one hidden among many base64-looking words", async () => {
    const filler = "lorem ipsum dolor sit amet ".repeat(12_000);
    const noise = Array.from({ length: 40 }, (_, i) =>
      Buffer.from(`harmless word number ${i} ok`).toString("base64"),
    ).join(" ");
    for (const agent of AGENTS) {
      expect(
        await attempt("buried token", agent, `${filler}\n${t.github}\n`, [t.github]),
        `${agent} long`,
      ).toBe(true);
      expect(
        await attempt(
          "buried token",
          agent,
          `${noise} ${Buffer.from(t.github).toString("base64")}`,
          [t.github],
        ),
        `${agent} noise`,
      ).toBe(true);
    }
  }, 180_000);

  it("a malformed prompt payload that carries a token fails closed", async () => {
    for (const agent of AGENTS) {
      expect(
        await attempt("malformed payload", agent, [`my token ${t.github}`], [t.github]),
        agent,
      ).toBe(true);
      expect(await attempt("malformed payload", agent, { text: t.npm }, [t.npm]), agent).toBe(true);
    }
  }, 120_000);

  it("control: harmless prompts (with a $secret: reference, a base64 word, a path) go through unchanged", async () => {
    for (const agent of AGENTS) {
      for (const p of [
        "deploy using $secret:DEPLOY_KEY please",
        `decode ${Buffer.from("just a harmless sentence here").toString("base64")}`,
        "look at /usr/local/lib/node_modules/some-package/dist/index.js",
      ]) {
        const r = await runHook(sb, payload(agent, p, sb.project), {
          agent,
          env: { HOOKPACK_KEY_BACKEND: "file" },
        });
        expect(
          blocked(agent, r.stdout, r.exitCode),
          `${agent}: ${p} was blocked: ${r.stdout}`,
        ).toBe(false);
        expect(r.exitCode, r.stderr).toBe(0);
      }
    }
  }, 120_000);
});
