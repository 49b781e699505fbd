// Anthropic: API keys sk-ant-api03-, admin keys sk-ant-admin01-, and Claude Code's OAuth tokens
// (sk-ant-oat01- access, sk-ant-ort01- refresh). Keys end in "AA".
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const B = "A-Za-z0-9_-";
const KEYS = {
  url: "https://console.anthropic.com/settings/keys",
  steps:
    "Anthropic: delete the key at https://console.anthropic.com/settings/keys and create a new one.",
};
const rules: DetectorRule[] = [
  token({
    id: "anthropic-api-key",
    provider: "Anthropic",
    label: "Anthropic API key",
    parts: ["sk-ant-api03-", { cls: B, min: 93 }, "AA"],
    validator: "anthropic-trailer",
    after: B,
    severity: "critical",
    secretName: "ANTHROPIC_API_KEY",
    rotate: KEYS,
    docs: "https://docs.anthropic.com/en/api/getting-started",
  }),
  token({
    id: "anthropic-admin-api-key",
    provider: "Anthropic",
    label: "Anthropic Admin API key",
    parts: ["sk-ant-admin01-", { cls: B, min: 93 }, "AA"],
    validator: "anthropic-trailer",
    after: B,
    severity: "critical",
    secretName: "ANTHROPIC_ADMIN_KEY",
    rotate: {
      url: "https://console.anthropic.com/settings/admin-keys",
      steps:
        "Anthropic: delete the admin key at https://console.anthropic.com/settings/admin-keys and create a new one.",
    },
    docs: "https://docs.anthropic.com/en/api/administration-api",
  }),
  token({
    id: "claude-code-oauth-token",
    provider: "Anthropic",
    label: "Claude Code OAuth access token",
    parts: ["sk-ant-oat01-", { cls: B, min: 80, max: 120 }],
    after: B,
    severity: "critical",
    secretName: "CLAUDE_CODE_OAUTH_TOKEN",
    rotate: {
      url: "https://claude.ai/settings",
      steps:
        "Claude Code: run `/logout` (or revoke the session under claude.ai → Settings), then log in again; a token from `claude setup-token` is revoked the same way.",
    },
    docs: "https://docs.anthropic.com/en/docs/claude-code/iam",
  }),
  token({
    id: "claude-code-oauth-refresh-token",
    provider: "Anthropic",
    label: "Claude Code OAuth refresh token",
    parts: ["sk-ant-ort01-", { cls: B, min: 80, max: 120 }],
    after: B,
    severity: "critical",
    secretName: "CLAUDE_CODE_REFRESH_TOKEN",
    rotate: {
      url: "https://claude.ai/settings",
      steps:
        "Claude Code: run `/logout` (or revoke the session under claude.ai → Settings), then log in again.",
    },
  }),
];
export default rules;
