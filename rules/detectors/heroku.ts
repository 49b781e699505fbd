import { keyed, token } from "./define.js";
import type { DetectorRule } from "./types.js";

const R = {
  url: "https://dashboard.heroku.com/account/applications",
  steps:
    "Heroku: `heroku authorizations:revoke <id>` (or regenerate the API key at https://dashboard.heroku.com/account), then create a new authorization.",
};
const rules: DetectorRule[] = [
  token({
    id: "heroku-api-key-v2",
    provider: "Heroku",
    label: "Heroku API key",
    parts: ["HRKU-AA", { cls: "A-Za-z0-9_-", min: 58 }],
    after: "A-Za-z0-9_-",
    severity: "critical",
    secretName: "HEROKU_API_KEY",
    rotate: R,
    docs: "https://devcenter.heroku.com/articles/authentication",
  }),
  keyed({
    id: "heroku-api-key",
    provider: "Heroku",
    label: "Heroku API key (legacy UUID)",
    keywords: ["heroku"],
    value: { cls: "0-9a-fA-F-", min: 36 },
    severity: "high",
    secretName: "HEROKU_API_KEY",
    rotate: R,
    shape: [
      { cls: "0-9a-f", min: 8 },
      "-",
      { cls: "0-9a-f", min: 4 },
      "-",
      { cls: "0-9a-f", min: 4 },
      "-",
      { cls: "0-9a-f", min: 4 },
      "-",
      { cls: "0-9a-f", min: 12 },
    ],
    entropyMin: 3.0,
  }),
];
export default rules;
