// The records are data: ./data/digitalocean.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/digitalocean.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
