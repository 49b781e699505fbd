// Google: API keys (Maps, Gemini, Firebase …) start with AIza; OAuth client secrets GOCSPX-,
// access tokens ya29. ; service-account key files are JSON with a PEM private key (private-key rule).
// The records are data: ./data/google.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/google.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
