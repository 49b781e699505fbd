// OpenAI: keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; project, service-account,
// admin and legacy user keys.
// The records are data: ./data/openai.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/openai.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
