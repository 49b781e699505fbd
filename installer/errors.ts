// moved to core/errors.ts; kept for broker/{audit-verify,client,daemon,exec-capabilities,exec,grants}.ts, cli/shell.ts, cli/commands/{exec,install}.ts, installer/{doctor,hook-lists,toml-hooks}.ts until they migrate
export { HookpackError } from "../core/errors.js";
