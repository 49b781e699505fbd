// AWS: access key ids (AKIA long-term, ASIA temporary …) are identifiers but pair with a secret;
// the 40-char secret access key has no prefix, so it is found near an AWS-ish name.
// AWS documentation's sample keys end in EXAMPLE and are placeholders.
// The records are data: ./data/aws.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/aws.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
