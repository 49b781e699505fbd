// Slack tokens (api.slack.com/authentication/token-types) and incoming webhooks.
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const R = {
  url: "https://api.slack.com/apps",
  steps:
    "Slack: at https://api.slack.com/apps → your app → OAuth & Permissions, revoke the token (`auth.revoke`) and reinstall the app to get a new one.",
};
const D = "https://api.slack.com/authentication/token-types";
const num = { cls: "0-9", min: 10, max: 13 };
const rules: DetectorRule[] = [
  token({
    id: "slack-bot-token",
    provider: "Slack",
    label: "Slack bot token",
    parts: ["xoxb-", num, "-", num, "-", { cls: "A-Za-z0-9", min: 24 }],
    severity: "critical",
    secretName: "SLACK_BOT_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-user-token",
    provider: "Slack",
    label: "Slack user token",
    parts: ["xoxp-", num, "-", num, "-", num, "-", { cls: "a-f0-9", min: 32 }],
    severity: "critical",
    secretName: "SLACK_USER_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-app-token",
    provider: "Slack",
    label: "Slack app-level token",
    parts: [
      "xapp-",
      { cls: "0-9", min: 1 },
      "-",
      { cls: "A-Za-z0-9", min: 9, max: 12 },
      "-",
      { cls: "A-Za-z0-9", min: 10, max: 14 },
      "-",
      { cls: "A-Za-z0-9", min: 30, max: 64 },
    ],
    severity: "critical",
    secretName: "SLACK_APP_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-config-token",
    provider: "Slack",
    label: "Slack configuration token",
    parts: [
      "xoxe.xox",
      { cls: "bp", min: 1, random: false },
      "-",
      { cls: "0-9", min: 1 },
      "-",
      { cls: "A-Za-z0-9", min: 140, max: 170 },
    ],
    severity: "critical",
    secretName: "SLACK_CONFIG_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-config-refresh-token",
    provider: "Slack",
    label: "Slack configuration refresh token",
    parts: ["xoxe-", { cls: "0-9", min: 1 }, "-", { cls: "A-Za-z0-9", min: 140, max: 150 }],
    severity: "high",
    secretName: "SLACK_CONFIG_REFRESH_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-legacy-token",
    provider: "Slack",
    label: "Slack legacy token",
    parts: [
      "xox",
      { cls: "aors", min: 1, random: false },
      "-",
      { cls: "0-9", min: 1, max: 12 },
      "-",
      { cls: "A-Za-z0-9-", min: 30, max: 100 },
    ],
    severity: "high",
    secretName: "SLACK_TOKEN",
    rotate: R,
    docs: D,
  }),
  token({
    id: "slack-session-token",
    provider: "Slack",
    label: "Slack session (browser) token",
    parts: [
      "xoxc-",
      { cls: "0-9", min: 10, max: 13 },
      "-",
      { cls: "0-9", min: 10, max: 13 },
      "-",
      { cls: "0-9", min: 10, max: 13 },
      "-",
      { cls: "a-f0-9", min: 64 },
    ],
    severity: "high",
    secretName: "SLACK_SESSION_TOKEN",
    rotate: { steps: "Slack: sign out of all sessions (Account → Sign out all other sessions)." },
    docs: D,
  }),
  token({
    id: "slack-webhook-url",
    provider: "Slack",
    label: "Slack incoming webhook URL",
    parts: [
      "hooks.slack.com/",
      { cls: "a-z", min: 8, max: 9, random: false },
      "/",
      { cls: "A-Z0-9", min: 9, max: 11 },
      "/",
      { cls: "A-Z0-9", min: 9, max: 11 },
      "/",
      { cls: "A-Za-z0-9", min: 24 },
    ],
    before: "",
    severity: "high",
    secretName: "SLACK_WEBHOOK_URL",
    rotate: {
      url: "https://api.slack.com/apps",
      steps: "Slack: remove the webhook (app → Incoming Webhooks) and add a new one.",
    },
    examples: ["curl -X POST https://{token}", 'url: "https://{token}"'],
    // Slack's documented placeholder, built at load time so the source holds no webhook-shaped string.
    negatives: [
      [
        "https://hooks.slack.com/services/T",
        "0".repeat(8),
        "/B",
        "0".repeat(8),
        "/",
        "X".repeat(24),
      ].join(""),
    ],
  }),
];
// The webhook's path word is `services` or `workflows`.
rules[rules.length - 1]!.regex = rules[rules.length - 1]!.regex.replace(
  "[a-z]{8,9}",
  "(?:services|workflows|triggers)",
);
rules[rules.length - 1]!.shape = [
  "hooks.slack.com/services/T",
  { cls: "A-Z0-9", min: 9 },
  "/B",
  { cls: "A-Z0-9", min: 9 },
  "/",
  { cls: "A-Za-z0-9", min: 24 },
];
export default rules;
