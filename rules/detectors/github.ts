// GitHub: classic tokens carry a CRC32 checksum in their last 6 characters (GitHub blog,
// 2021-04-05 "Behind GitHub's new authentication token formats"); verified on real tokens, so a
// failed checksum on a placeholder-looking body drops the finding.
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const B62 = "A-Za-z0-9";
const ROTATE = {
  url: "https://github.com/settings/tokens",
  steps:
    "GitHub: revoke the token at https://github.com/settings/tokens (apps: the app's settings page; leaked tokens can also be revoked through https://github.com/settings/security-log), then create a new one with the least scopes.",
};
const classic = (id: string, prefix: string, label: string): DetectorRule =>
  token({
    id,
    provider: "GitHub",
    label,
    parts: [prefix, { cls: B62, min: 30 }, { cls: B62, min: 6, random: false }],
    validator: "github-crc32",
    severity: "critical",
    secretName: "GITHUB_TOKEN",
    rotate: ROTATE,
    docs: "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/",
  });

const rules: DetectorRule[] = [
  classic("github-pat", "ghp_", "GitHub personal access token (classic)"),
  classic("github-oauth", "gho_", "GitHub OAuth access token"),
  classic("github-user-to-server", "ghu_", "GitHub App user-to-server token"),
  classic("github-server-to-server", "ghs_", "GitHub App installation token"),
  classic("github-refresh-token", "ghr_", "GitHub App refresh token"),
  token({
    id: "github-fine-grained-pat",
    provider: "GitHub",
    label: "GitHub fine-grained personal access token",
    parts: ["github_pat_", { cls: B62, min: 22 }, "_", { cls: B62, min: 59 }],
    validator: "github-fine-grained",
    severity: "critical",
    secretName: "GITHUB_TOKEN",
    rotate: ROTATE,
    docs: "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
  }),
];
export default rules;
