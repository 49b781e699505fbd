// npm granular and legacy automation tokens: npm_ + 30 random + 6 CRC32/base62 (GitHub blog
// 2021-09-23). Whether the prefix is hashed is not documented: both are accepted; a failed check
// grades the finding weak rather than dropping it.
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const rules: DetectorRule[] = [
  token({
    id: "npm-access-token",
    provider: "npm",
    label: "npm access token",
    parts: ["npm_", { cls: "A-Za-z0-9", min: 30 }, { cls: "A-Za-z0-9", min: 6, random: false }],
    validator: "npm-crc32",
    severity: "critical",
    secretName: "NPM_TOKEN",
    rotate: {
      url: "https://www.npmjs.com/settings/~/tokens",
      steps:
        "npm: `npm token list`, then `npm token revoke <id>` for this token, and `npm token create` (granular tokens: https://www.npmjs.com/settings/~/tokens).",
    },
    docs: "https://docs.npmjs.com/about-access-tokens",
  }),
];
export default rules;
