// moved to core/json-walk.ts; kept for adapters/{claude-code,common}.ts and rules/mask.ts until they migrate
export { forEachString, mapStrings, pathKey, type PathKeys } from "../core/json-walk.js";
