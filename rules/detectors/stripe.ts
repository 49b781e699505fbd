// Stripe secret and restricted keys (live/test), webhook signing secrets.
import { token } from "./define.js";
import type { DetectorRule } from "./types.js";

const R = {
  url: "https://dashboard.stripe.com/apikeys",
  steps:
    'Stripe: roll the key at https://dashboard.stripe.com/apikeys ("Roll key", expire the old one now).',
};
const D = "https://docs.stripe.com/keys";
const rules: DetectorRule[] = [
  ...(["sk_live_", "sk_test_", "rk_live_", "rk_test_"] as const).map((p) =>
    token({
      id: `stripe-${p.startsWith("sk") ? "secret" : "restricted"}-key-${p.includes("live") ? "live" : "test"}`,
      provider: "Stripe",
      label: `Stripe ${p.startsWith("sk") ? "secret" : "restricted"} key (${p.includes("live") ? "live" : "test"} mode)`,
      parts: [p, { cls: "A-Za-z0-9", min: 24, max: 247 }],
      severity: p.includes("live") ? "critical" : "medium",
      secretName: "STRIPE_SECRET_KEY",
      rotate: R,
      docs: D,
    }),
  ),
  token({
    id: "stripe-webhook-secret",
    provider: "Stripe",
    label: "Stripe webhook signing secret",
    parts: ["whsec_", { cls: "A-Za-z0-9", min: 32, max: 64 }],
    severity: "high",
    secretName: "STRIPE_WEBHOOK_SECRET",
    rotate: {
      url: "https://dashboard.stripe.com/webhooks",
      steps: "Stripe: roll the endpoint's signing secret at https://dashboard.stripe.com/webhooks.",
    },
    docs: "https://docs.stripe.com/webhooks",
  }),
];
export default rules;
