// Anthropic: API keys sk-ant-api03-, admin keys sk-ant-admin01-, and Claude Code's OAuth tokens
// (sk-ant-oat01- access, sk-ant-ort01- refresh). Keys end in "AA".
// The records are data: ./data/anthropic.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/anthropic.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
