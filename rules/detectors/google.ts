// Google: API keys (Maps, Gemini, Firebase …) start with AIza; OAuth client secrets GOCSPX-,
// access tokens ya29. ; service-account key files are JSON with a PEM private key (private-key rule).
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const rules: DetectorRule[] = [
  token({
    id: "gcp-api-key",
    provider: "Google",
    label: "Google API key",
    parts: ["AIza", { cls: "A-Za-z0-9_-", min: 35 }],
    after: "A-Za-z0-9_-",
    severity: "high",
    secretName: "GOOGLE_API_KEY",
    rotate: {
      url: "https://console.cloud.google.com/apis/credentials",
      steps:
        "Google Cloud: delete or regenerate the key at https://console.cloud.google.com/apis/credentials (Gemini: https://aistudio.google.com/apikey), and restrict the new one.",
    },
    docs: "https://cloud.google.com/docs/authentication/api-keys",
  }),
  token({
    id: "gcp-oauth-client-secret",
    provider: "Google",
    label: "Google OAuth client secret",
    parts: ["GOCSPX-", { cls: "A-Za-z0-9_-", min: 28 }],
    after: "A-Za-z0-9_-",
    severity: "high",
    secretName: "GOOGLE_CLIENT_SECRET",
    rotate: {
      url: "https://console.cloud.google.com/apis/credentials",
      steps:
        "Google Cloud: add a new client secret to the OAuth client, switch to it, then disable and delete the old one.",
    },
  }),
  token({
    id: "gcp-oauth-access-token",
    provider: "Google",
    label: "Google OAuth access token",
    parts: ["ya29.", { cls: "A-Za-z0-9_-", min: 30, max: 1024 }],
    after: "A-Za-z0-9_-",
    severity: "medium",
    secretName: "GOOGLE_ACCESS_TOKEN",
    rotate: {
      steps:
        "Google: revoke it with `curl -d token=… https://oauth2.googleapis.com/revoke` run outside the agent, or at https://myaccount.google.com/permissions; it expires within an hour.",
    },
  }),
];
export default rules;
