// Monitoring and observability.
// The records are data: ./data/monitoring.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/monitoring.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
