// `install --agent gemini`: Gemini CLI 0.61 loads the first `.env` it finds walking up from the
// project into its OWN environment (loadEnvironment/findEnvFile in the bundle), so every command it
// runs inherits those values. `advanced.ignoreLocalEnv: true` makes it skip every `.env` but the
// home directory's (it still loads `.gemini/.env` in a trusted project, `~/.gemini/.env` and
// `~/.env`; the state catalog reports those). Install sets it next to the hook registrations and
// records the keys it created, so uninstall takes out only what hookpack added.
import { readJsonDocument, setJson } from "./json-edit.js";

export const GEMINI_ENV_KEY = "advanced.ignoreLocalEnv";

/** The settings text with `advanced.ignoreLocalEnv: true`; `createdKeys` gets what was added. `userValue`: a value the user set themselves (left alone). */
export function addIgnoreLocalEnv(
  text: string,
  file: string,
  createdKeys: string[],
): { text: string; userValue?: unknown } {
  const doc = readJsonDocument(text, file).value as Record<string, unknown>;
  const advanced = doc.advanced;
  if (
    advanced !== undefined &&
    (advanced === null || typeof advanced !== "object" || Array.isArray(advanced))
  )
    return { text, userValue: advanced };
  const current = (advanced as Record<string, unknown> | undefined)?.ignoreLocalEnv;
  if (current === true) return { text };
  if (current !== undefined) return { text, userValue: current };
  if (advanced === undefined) createdKeys.push("advanced");
  createdKeys.push(GEMINI_ENV_KEY);
  return { text: setJson(text, ["advanced", "ignoreLocalEnv"], true) };
}

/** The settings text without what addIgnoreLocalEnv added (per `createdKeys`); anything else stays. */
export function removeIgnoreLocalEnv(
  text: string,
  file: string,
  createdKeys: readonly string[],
): string {
  if (!createdKeys.includes(GEMINI_ENV_KEY)) return text;
  const doc = readJsonDocument(text, file).value as Record<string, unknown>;
  const advanced = doc.advanced as Record<string, unknown> | undefined;
  if (!advanced || typeof advanced !== "object" || advanced.ignoreLocalEnv !== true) return text;
  let out = setJson(text, ["advanced", "ignoreLocalEnv"], undefined);
  if (createdKeys.includes("advanced") && Object.keys(advanced).length === 1)
    out = setJson(out, ["advanced"], undefined);
  return out;
}
