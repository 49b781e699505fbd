// OpenAI: keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; project, service-account,
// admin and legacy user keys.
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const B = "A-Za-z0-9_-";
const R = {
  url: "https://platform.openai.com/api-keys",
  steps:
    "OpenAI: revoke the key at https://platform.openai.com/api-keys (admin keys: https://platform.openai.com/settings/organization/admin-keys) and create a new one.",
};
const k = (id: string, prefix: string, label: string, name = "OPENAI_API_KEY"): DetectorRule =>
  token({
    id,
    provider: "OpenAI",
    label,
    parts: [prefix, { cls: B, min: 20, max: 74 }, "T3BlbkFJ", { cls: B, min: 20, max: 74 }],
    validator: "openai-marker",
    after: B,
    severity: "critical",
    secretName: name,
    rotate: R,
    docs: "https://platform.openai.com/docs/api-reference/authentication",
  });
const rules: DetectorRule[] = [
  k("openai-project-key", "sk-proj-", "OpenAI project API key"),
  k("openai-service-account-key", "sk-svcacct-", "OpenAI service account key"),
  k("openai-admin-key", "sk-admin-", "OpenAI admin key", "OPENAI_ADMIN_KEY"),
  token({
    id: "openai-api-key",
    provider: "OpenAI",
    label: "OpenAI API key (legacy)",
    parts: ["sk-", { cls: "A-Za-z0-9", min: 20 }, "T3BlbkFJ", { cls: "A-Za-z0-9", min: 20 }],
    anchor: "T3BlbkFJ",
    back: 24,
    validator: "openai-marker",
    severity: "critical",
    secretName: "OPENAI_API_KEY",
    rotate: R,
  }),
];
export default rules;
