// Codex: hooks are skipped silently until the user trusts them (reference §3.1), and a
// \`[features] hooks = false\` switches them all off. Both are read from Codex's own TOML.
import { join } from "node:path";
import { ADAPTERS } from "../../adapters/index.js";
import { readIfExists } from "../plan.js";
import type { HookpackError } from "../../core/errors.js";
import { readToml } from "../toml-hooks.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

export function checkCodexTrust(ctx: DoctorContext): DoctorCheck[] {
  const codexHome = ctx.env.CODEX_HOME ?? join(ctx.home, ".codex");
  const sources = [
    join(ctx.root, ".codex", "hooks.json"),
    join(ctx.root, ".codex", "config.toml"),
    join(codexHome, "hooks.json"),
    join(codexHome, "config.toml"),
  ];
  const configFile = join(codexHome, "config.toml");
  const out: DoctorCheck[] = [];
  let config: Record<string, unknown> = {};
  const configText = readIfExists(configFile);
  if (configText !== null) {
    try {
      config = readToml(configText, configFile);
    } catch (error) {
      const e = error as HookpackError;
      out.push({
        id: "codex-config",
        status: "fail",
        subject: ctx.root,
        agent: "codex",
        message: e.message.replace(/^hookpack: /, "").replace(/; nothing was changed\.$/, "."),
        fix: e.hint ?? `fix ${configFile} by hand.`,
      });
      return out;
    }
  }
  const table = (v: unknown): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const features = table(config.features);
  if (features.hooks === false || features.codex_hooks === false) {
    const key = features.hooks === false ? "hooks" : "codex_hooks";
    out.push({
      id: "codex-hooks-disabled",
      status: "fail",
      subject: ctx.root,
      agent: "codex",
      message: `Codex hooks are switched off ([features] ${key} = false in ${configFile}).`,
      fix: `remove that line from ${configFile}.`,
    });
  }
  // Trust is recorded per hook, in the user layer only: [hooks.state."<source>:<event>:<group>:<handler>"] trusted_hash = "sha256:…"
  const state = table(table(config.hooks).state);
  const events = ADAPTERS.codex.config.registrations.map((r) => r.event);
  for (const src of sources) {
    const text = readIfExists(src);
    if (!text || !/hookpack/.test(text)) continue;
    const trustedFor = (event: string) =>
      Object.entries(state).some(
        ([key, entry]) =>
          key.startsWith(`${src}:${event}:`) && typeof table(entry).trusted_hash === "string",
      );
    const untrusted = events.filter((e) => !trustedFor(e));
    out.push(
      untrusted.length === 0
        ? {
            id: "codex-trust",
            status: "ok",
            subject: ctx.root,
            agent: "codex",
            message: `Codex: hookpack's hooks in ${src} are trusted (${events.join(", ")}).`,
          }
        : {
            id: "codex-trust",
            status: "warn",
            subject: ctx.root,
            agent: "codex",
            message: `Codex: hookpack's ${untrusted.join(", ")} ${untrusted.length > 1 ? "hooks" : "hook"} in ${src} ${untrusted.length > 1 ? "are" : "is"} not trusted yet; Codex skips untrusted hooks without a word.`,
            fix: `start \`codex\` in this project, run \`/hooks\` and trust hookpack's ${untrusted.join(", ")} ${untrusted.length > 1 ? "entries" : "entry"}.`,
          },
    );
  }
  return out;
}
