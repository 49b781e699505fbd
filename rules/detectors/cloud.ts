// Other cloud and hosting platforms with prefixed tokens.
// The records are data: ./data/cloud.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/cloud.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
