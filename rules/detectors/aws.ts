// AWS: access key ids (AKIA long-term, ASIA temporary …) are identifiers but pair with a secret;
// the 40-char secret access key has no prefix, so it is found near an AWS-ish name.
// AWS documentation's sample keys end in EXAMPLE and are placeholders.
import { keyed, token } from "./define.js";
import type { DetectorRule } from "./types.js";

const ROTATE = {
  url: "https://console.aws.amazon.com/iam/home#/security_credentials",
  steps:
    "AWS: `aws iam create-access-key --user-name <user>`, switch to the new key, then `aws iam delete-access-key --user-name <user> --access-key-id <old id>` (check CloudTrail for use of the old key).",
};
const DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html";
const rules: DetectorRule[] = [
  ...["AKIA", "ASIA", "ABIA", "ACCA"].map((p) =>
    token({
      id: p === "AKIA" ? "aws-access-key-id" : `aws-access-key-id-${p.toLowerCase()}`,
      provider: "AWS",
      label: p === "ASIA" ? "AWS temporary access key id" : "AWS access key id",
      parts: [p, { cls: "A-Z2-7", min: 16 }],
      validator: "aws-key-id",
      stopwords: ["EXAMPLE"],
      severity: "high",
      secretName: "AWS_ACCESS_KEY_ID",
      rotate: ROTATE,
      docs: DOCS,
      entropyMin: 2.8,
    }),
  ),
  keyed({
    id: "aws-secret-access-key",
    provider: "AWS",
    label: "AWS secret access key",
    keywords: [
      "aws_secret",
      "aws-secret",
      "awssecret",
      "secret_access_key",
      "secretaccesskey",
      "secret-access-key",
      "aws_secret_key",
    ],
    nameTail: String.raw`[\w.-]{0,30}?`,
    value: { cls: "A-Za-z0-9/+", min: 40 },
    tailBoundary: "A-Za-z0-9/+=",
    stopwords: ["EXAMPLE"],
    severity: "critical",
    secretName: "AWS_SECRET_ACCESS_KEY",
    rotate: ROTATE,
    docs: DOCS,
    entropyMin: 4.0,
    examples: [
      "AWS_SECRET_ACCESS_KEY={token}",
      'aws_secret_access_key = "{token}"',
      "secretAccessKey: {token}",
    ],
  }),
  token({
    id: "aws-bedrock-api-key",
    provider: "AWS",
    label: "Amazon Bedrock API key (long-lived)",
    parts: [
      "ABSKQmVkcm9ja0FQSUtl",
      { cls: "A-Za-z0-9+/", min: 100, max: 260 },
      { cls: "=", min: 0, max: 2, random: false },
    ],
    after: "A-Za-z0-9+/=",
    severity: "critical",
    secretName: "AWS_BEARER_TOKEN_BEDROCK",
    rotate: {
      url: "https://console.aws.amazon.com/bedrock/home#/api-keys",
      steps:
        "AWS: delete the Bedrock API key in the Bedrock console (API keys) or IAM (service-specific credentials), then create a new one.",
    },
    docs: "https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html",
  }),
];
export default rules;
