// npm granular and legacy automation tokens: npm_ + 30 random + 6 CRC32/base62 (GitHub blog
// 2021-09-23). Whether the prefix is hashed is not documented: both are accepted; a failed check
// grades the finding weak rather than dropping it.
// The records are data: ./data/npm.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/npm.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
