// `hookpack install --agent <a> --relay` / `uninstall --relay` through the real CLI: the user's own
// https base URLs become the relay's upstreams, their other settings stay, and uninstall puts
// their values back; `hookpack run --relay` uses the persistent relay when it answers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hookpack, sandbox, type Sandbox } from "../helpers/run.js";

let sb: Sandbox | undefined;
afterEach(async () => {
  if (sb) await hookpack(["broker", "stop"], { env: sb.env, cwd: sb.project });
  sb?.cleanup();
  sb = undefined;
});

describe("install --relay", () => {
  it("keeps the user's https base URLs as upstreams and their other settings; uninstall --relay puts the user's values back (Claude's file byte for byte)", async () => {
    sb = sandbox();
    const env = { ...sb.env, CI: "true" };
    const files = {
      claude: join(sb.home, ".claude", "settings.json"),
      codex: join(sb.home, ".codex", "config.toml"),
      gemini: join(sb.home, ".gemini", ".env"),
    };
    for (const f of Object.values(files)) mkdirSync(join(f, ".."), { recursive: true });
    const original = {
      claude: `{\n  "env": { "FOO": "1", "ANTHROPIC_BASE_URL": "https://gw.example/anthropic" },\n  "model": "x"\n}\n`,
      codex: `model = "gpt-x"\nopenai_base_url = "https://gw.example/openai/v1"\n\n[analytics]\nenabled = false\n`,
      gemini: `OTHER=1\nGOOGLE_GEMINI_BASE_URL=https://gw.example/gemini\n`,
    };
    for (const [k, v] of Object.entries(original)) writeFileSync(files[k as keyof typeof files], v);
    const r = await hookpack(
      [
        "install",
        "--agent",
        "claude-code,codex,gemini",
        "--scope",
        "project",
        "--relay",
        "--no-git-hook",
      ],
      { env, cwd: sb.project },
    );
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const relay = JSON.parse(readFileSync(join(sb.hookpackHome, "relay.json"), "utf8")) as {
      port: number;
      routes: Record<string, { upstream: string }>;
    };
    expect(relay.routes["claude-code"]!.upstream).toBe("https://gw.example/anthropic");
    expect(relay.routes.codex!.upstream).toBe("https://gw.example/openai/v1");
    expect(relay.routes.gemini!.upstream).toBe("https://gw.example/gemini");
    const ours = (a: string) => `http://127.0.0.1:${relay.port}/${a}`;
    const claude = JSON.parse(readFileSync(files.claude, "utf8")) as {
      env: Record<string, string>;
      model: string;
    };
    expect(claude).toEqual({
      env: { FOO: "1", ANTHROPIC_BASE_URL: ours("claude-code") },
      model: "x",
    });
    const toml = readFileSync(files.codex, "utf8");
    expect(toml).toContain(`openai_base_url = "${ours("codex")}"`);
    expect(toml).not.toContain("gw.example");
    expect(toml).toContain('model = "gpt-x"');
    const dotenv = readFileSync(files.gemini, "utf8");
    expect(dotenv).toContain(`GOOGLE_GEMINI_BASE_URL=${ours("gemini")}`);
    expect(dotenv).toContain("OTHER=1");
    expect(dotenv).not.toContain("gw.example");
    // Twice: no change, and the record still holds the user's values.
    const again = await hookpack(
      [
        "install",
        "--agent",
        "claude-code,codex,gemini",
        "--scope",
        "project",
        "--relay",
        "--no-git-hook",
      ],
      { env, cwd: sb.project },
    );
    expect(again.exitCode, again.stderr).toBe(0);
    expect(readFileSync(files.codex, "utf8")).toBe(toml);

    // `hookpack run --relay` uses the persistent relay once it runs.
    expect((await hookpack(["broker", "start"], { env, cwd: sb.project })).exitCode).toBe(0);
    const run = await hookpack(
      [
        "run",
        "--relay",
        "--agent",
        "claude",
        "--",
        process.execPath,
        "-e",
        "console.log(process.env.ANTHROPIC_BASE_URL)",
      ],
      { env, cwd: sb.project },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(ours("claude-code"));
    expect(run.stderr).toContain("persistent relay");

    const un = await hookpack(["uninstall", "--agent", "claude-code,codex,gemini", "--relay"], {
      env,
      cwd: sb.project,
    });
    expect(un.exitCode, un.stderr).toBe(0);
    // Claude's JSON comes back byte for byte; the TOML and .env lines come back (at the top).
    expect(readFileSync(files.claude, "utf8")).toBe(original.claude);
    const tomlAfter = readFileSync(files.codex, "utf8");
    expect(tomlAfter).toContain('openai_base_url = "https://gw.example/openai/v1"');
    expect(tomlAfter).not.toContain("hookpack");
    expect(tomlAfter).toContain('model = "gpt-x"\n\n[analytics]\nenabled = false\n');
    expect(readFileSync(files.gemini, "utf8")).toContain(
      "GOOGLE_GEMINI_BASE_URL=https://gw.example/gemini",
    );
    expect(readFileSync(files.gemini, "utf8")).toContain("OTHER=1");
    expect(existsSync(join(sb.hookpackHome, "relay.json"))).toBe(false);
  }, 120_000);
});
