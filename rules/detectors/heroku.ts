// The records are data: ./data/heroku.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/heroku.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
