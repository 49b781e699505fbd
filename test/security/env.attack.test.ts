// Attacks on the inherited-environment guard, through the REAL hook process: the agent's
// environment holds secrets (by name, and a detected token under an innocuous name); a command
// prints them in the encodings an attacker would choose, or the user pastes one into a prompt.
// "Contained": the output the model gets (Claude Code updatedToolOutput, Gemini AfterTool deny
// reason) carries no form of the value; the session start names the variables and no value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokens } from "../helpers/fake-secrets.js";
import { bashOutput, claudePayload, MINIMAL, runHook } from "../helpers/hook-run.js";
import { sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox;
const tally = new Map<string, { contained: number; attempts: number }>();
const value = "Qz7pL2vX9kR4mN8wT1yB6cF3hJ5";
const t = fakeTokens(33);
const ENV = {
  STRIPE_SECRET_KEY: value,
  DB_PASSWORD: `pw-${value.slice(0, 12)}`,
  BUILD_LABEL: t.github,
  AWS_SECRET_ACCESS_KEY: t.awsSecretAccessKey,
};
const VALUES = Object.values(ENV);

function forms(v: string): string[] {
  return [
    v,
    Buffer.from(v).toString("base64"),
    Buffer.from(v).toString("base64url"),
    Buffer.from(v).toString("hex"),
    encodeURIComponent(`x=${v}`),
    JSON.stringify(JSON.stringify({ v })),
    `'${v}'`,
    `Authorization: Basic ${Buffer.from(`user:${v}`).toString("base64")}`,
  ];
}

const post = (agent: "claude-code" | "gemini", stdout: string, cwd: string) =>
  agent === "claude-code"
    ? bashOutput(sb, "env", stdout, { ...MINIMAL, cwd })
    : {
        session_id: "s",
        cwd,
        hook_event_name: "AfterTool",
        tool_name: "run_shell_command",
        tool_input: { command: "env" },
        tool_response: { llmContent: stdout, returnDisplay: stdout },
      };

/** The text the model reads after the hook answered. */
function modelReads(agent: "claude-code" | "gemini", raw: string, stdout: string): string {
  if (!stdout.trim()) return raw;
  const out = JSON.parse(stdout) as Record<string, unknown>;
  if (agent === "claude-code")
    return JSON.stringify(
      (out.hookSpecificOutput as { updatedToolOutput?: unknown } | undefined)?.updatedToolOutput ??
        raw,
    );
  return out.decision === "deny" ? String(out.reason) : raw;
}

async function attempt(
  family: string,
  agent: "claude-code" | "gemini",
  printed: string,
  secrets: readonly string[],
  extraEnv: Record<string, string> = ENV,
): Promise<boolean> {
  const r = await runHook(sb, post(agent, printed, sb.project), { agent, env: extraEnv });
  const seen = modelReads(agent, printed, r.stdout) + r.stderr;
  const ok = !secrets.some((s) => seen.includes(s)) && r.exitCode === 0;
  const c = tally.get(family) ?? { contained: 0, attempts: 0 };
  c.attempts++;
  if (ok) c.contained++;
  tally.set(family, c);
  return ok;
}

beforeAll(() => {
  sb = sandbox();
});
afterAll(() => {
  console.log(
    `[attack] inherited environment, contained/attempts per family:\n${[...tally].map(([f, c]) => `  ${f}: ${c.contained}/${c.attempts}`).join("\n")}`,
  );
  sb?.cleanup();
});

describe("attack: secrets in the environment the agent inherited", () => {
  it("values of secret-named variables printed in every encoding are redacted (Claude Code, Gemini)", async () => {
    for (const agent of ["claude-code", "gemini"] as const) {
      for (const name of ["STRIPE_SECRET_KEY", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY"] as const) {
        for (const [i, f] of forms(ENV[name]).entries()) {
          expect(
            await attempt("secret-named variable", agent, `PATH=/usr/bin\n${f}\nHOME=/home/u\n`, [
              ENV[name],
              f,
            ]),
            `${agent} ${name} form ${i}`,
          ).toBe(true);
        }
      }
    }
  }, 120_000);

  it("a detected token under an innocuous name (BUILD_LABEL) is redacted in its encodings too", async () => {
    for (const agent of ["claude-code", "gemini"] as const) {
      for (const [i, f] of forms(t.github).entries())
        expect(
          await attempt("innocuous name, detected value", agent, `BUILD_LABEL=${f}\n`, [
            t.github,
            f,
          ]),
          `${agent} form ${i}`,
        ).toBe(true);
    }
  }, 120_000);

  it("`env` output, `printenv`, `declare -x` and `/proc/self/environ` (NUL-separated) all come back redacted", async () => {
    const envText = Object.entries(ENV).map(([k, v]) => `${k}=${v}`);
    const shapes = [
      envText.join("\n"),
      envText.map((l) => `declare -x ${l.replace("=", '="')}"`).join("\n"),
      envText.join("\u0000"),
      VALUES.join("\n"),
    ];
    for (const agent of ["claude-code", "gemini"] as const)
      for (const [i, s] of shapes.entries())
        expect(await attempt("env listings", agent, s, VALUES), `${agent} shape ${i}`).toBe(true);
  }, 60_000);

  it("the session start names the variables, never a value, and leaves harmless ones (GIT_AUTHOR_EMAIL, SSH_AUTH_SOCK, PWD, GIT_CONFIG_KEY_0) out", async () => {
    const env = {
      ...sb.env,
      ...ENV,
      GIT_AUTHOR_EMAIL: "dev@example.invalid",
      SSH_AUTH_SOCK: "/tmp/ssh-XXXX/agent.1",
      PWD: "/home/u/app",
      TOKEN_ENABLED: "true",
      GIT_CONFIG_KEY_0: "safe.directory",
    };
    const r = await runHook(
      sb,
      claudePayload(sb, { ...MINIMAL, hook_event_name: "SessionStart", source: "startup" }),
      { env },
    );
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as {
      systemMessage: string;
      hookSpecificOutput: { additionalContext: string };
    };
    for (const name of Object.keys(ENV)) expect(out.systemMessage).toContain(name);
    for (const name of [
      "GIT_AUTHOR_EMAIL",
      "SSH_AUTH_SOCK",
      "PWD",
      "TOKEN_ENABLED",
      "GIT_CONFIG_KEY_0",
    ])
      expect(out.systemMessage).not.toContain(name);
    expect(out.hookSpecificOutput.additionalContext).toContain("STRIPE_SECRET_KEY");
    for (const v of VALUES) expect(r.stdout.includes(v)).toBe(false);
  });

  it("an inherited value pasted into a prompt is held back", async () => {
    for (const f of forms(value)) {
      const r = await runHook(
        sb,
        claudePayload(sb, {
          ...MINIMAL,
          hook_event_name: "UserPromptSubmit",
          prompt: `use ${f} please`,
        }),
        { env: ENV },
      );
      const blocked = r.stdout.includes('"decision":"block"') && !r.stdout.includes(value);
      const c = tally.get("inherited value in a prompt") ?? { contained: 0, attempts: 0 };
      c.attempts++;
      if (blocked) c.contained++;
      tally.set("inherited value in a prompt", c);
      expect(blocked, f).toBe(true);
    }
  }, 60_000);

  it("known gap (reported, not claimed): a random value under an innocuous name is not recognised", async () => {
    const ok = await attempt(
      "gap: random value, innocuous name",
      "claude-code",
      "X=Zq8vN3kP7rT2wL5mB9cF\n",
      ["Zq8vN3kP7rT2wL5mB9cF"],
      { BUILD_LABEL: "Zq8vN3kP7rT2wL5mB9cF" },
    );
    expect(ok).toBe(false);
  });
});
