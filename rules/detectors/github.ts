// GitHub: classic tokens carry a CRC32 checksum in their last 6 characters (GitHub blog,
// 2021-04-05 "Behind GitHub's new authentication token formats"); verified on real tokens, so a
// failed checksum on a placeholder-looking body drops the finding.
// The records are data: ./data/github.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/github.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
