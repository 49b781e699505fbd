// GitLab token prefixes (docs.gitlab.com/ee/security/tokens/#token-prefixes). Routable tokens
// (GitLab 17.x+): `glpat-<base64url payload>.<length, 2 base36><CRC32, 7 base36>`, the CRC over
// everything before it, prefix included (GitLab's generator Authn::TokenField::Generator::RoutableToken);
// a failed check grades the finding weak (not verified against issued tokens here).
import { gitlabRoutableChecksum } from "./validators.js";
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const T = "A-Za-z0-9_-";
const ROTATE = {
  url: "https://gitlab.com/-/user_settings/personal_access_tokens",
  steps:
    "GitLab: revoke the token at https://gitlab.com/-/user_settings/personal_access_tokens (project/group tokens: Settings → Access tokens; runner and deploy tokens on their settings pages), then create a new one.",
};
const DOCS = "https://docs.gitlab.com/ee/security/tokens/#token-prefixes";
const kind = (
  id: string,
  prefix: string,
  label: string,
  min = 20,
  max = 20,
  name = "GITLAB_TOKEN",
): DetectorRule =>
  token({
    id,
    provider: "GitLab",
    label,
    parts: [prefix, { cls: T, min, max }],
    severity: "critical",
    secretName: name,
    rotate: ROTATE,
    docs: DOCS,
    after: "A-Za-z0-9_.",
  });

/** A routable PAT as GitLab builds it: routing lines, 16 random bytes, their count, base64url, length, CRC. */
export function routableSample(rand: () => number, prefix = "glpat-"): string {
  const id = () => Math.floor(rand() * 36 ** 5).toString(36);
  const random = Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256)));
  const payload = Buffer.concat([
    Buffer.from(`c:1\no:${id()}\nu:${id()}`, "latin1"),
    random,
    Buffer.from([16]),
  ]).toString("base64url");
  const head = `${prefix}${payload}.${payload.length.toString(36).padStart(2, "0")}`;
  return head + gitlabRoutableChecksum(head);
}

const rules: DetectorRule[] = [
  kind("gitlab-pat", "glpat-", "GitLab personal access token"),
  token({
    id: "gitlab-pat-routable",
    provider: "GitLab",
    label: "GitLab personal access token (routable)",
    parts: [
      "glpat-",
      { cls: T, min: 27, max: 300 },
      ".",
      { cls: "0-9a-z", min: 2, random: false },
      { cls: "0-9a-z", min: 7, random: false },
    ],
    validator: "gitlab-routable-crc32",
    severity: "critical",
    secretName: "GITLAB_TOKEN",
    rotate: ROTATE,
    docs: DOCS,
  }),
  kind("gitlab-deploy-token", "gldt-", "GitLab deploy token"),
  kind(
    "gitlab-runner-token",
    "glrt-",
    "GitLab runner authentication token",
    20,
    40,
    "GITLAB_RUNNER_TOKEN",
  ),
  kind("gitlab-cicd-job-token", "glcbt-", "GitLab CI/CD job token", 20, 60),
  kind("gitlab-trigger-token", "glptt-", "GitLab pipeline trigger token", 20, 40),
  kind("gitlab-feed-token", "glft-", "GitLab feed token"),
  kind("gitlab-incoming-mail-token", "glimt-", "GitLab incoming mail token", 20, 25),
  kind("gitlab-kubernetes-agent-token", "glagent-", "GitLab agent for Kubernetes token", 20, 50),
  kind("gitlab-oauth-app-secret", "gloas-", "GitLab OAuth application secret", 20, 64),
  kind("gitlab-scim-token", "glsoat-", "GitLab SCIM OAuth token"),
  kind("gitlab-feature-flag-client-token", "glffct-", "GitLab feature flag client token"),
  token({
    id: "gitlab-runner-registration-token",
    provider: "GitLab",
    label: "GitLab runner registration token (legacy)",
    parts: ["GR1348941", { cls: T, min: 20 }],
    severity: "high",
    secretName: "GITLAB_RUNNER_TOKEN",
    rotate: ROTATE,
    docs: DOCS,
  }),
  token({
    id: "gitlab-session-cookie",
    provider: "GitLab",
    label: "GitLab session cookie",
    parts: ["_gitlab_session=", { cls: "0-9a-z", min: 32 }],
    before: "",
    severity: "high",
    secretName: "GITLAB_SESSION",
    rotate: { steps: "GitLab: sign out of every session at User settings → Active sessions." },
    docs: DOCS,
  }),
];
rules.find((r) => r.id === "gitlab-pat-routable")!.sample = (rand) => routableSample(rand);
export default rules;
