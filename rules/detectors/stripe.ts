// Stripe secret and restricted keys (live/test), webhook signing secrets.
// The records are data: ./data/stripe.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/stripe.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
