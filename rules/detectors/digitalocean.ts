import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const R = {
  url: "https://cloud.digitalocean.com/account/api/tokens",
  steps:
    "DigitalOcean: delete the token at https://cloud.digitalocean.com/account/api/tokens and generate a new one with the least scopes.",
};
const rules: DetectorRule[] = [
  token({
    id: "digitalocean-pat",
    provider: "DigitalOcean",
    label: "DigitalOcean personal access token",
    parts: ["dop_v1_", { cls: "a-f0-9", min: 64 }],
    severity: "critical",
    secretName: "DIGITALOCEAN_TOKEN",
    rotate: R,
  }),
  token({
    id: "digitalocean-oauth-token",
    provider: "DigitalOcean",
    label: "DigitalOcean OAuth token",
    parts: ["doo_v1_", { cls: "a-f0-9", min: 64 }],
    severity: "critical",
    secretName: "DIGITALOCEAN_TOKEN",
    rotate: R,
  }),
  token({
    id: "digitalocean-refresh-token",
    provider: "DigitalOcean",
    label: "DigitalOcean OAuth refresh token",
    parts: ["dor_v1_", { cls: "a-f0-9", min: 64 }],
    severity: "high",
    secretName: "DIGITALOCEAN_REFRESH_TOKEN",
    rotate: R,
  }),
];
export default rules;
