// AI model providers besides Anthropic and OpenAI.
// The records are data: ./data/ai.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/ai.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
