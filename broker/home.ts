// moved to core/home.ts; kept for broker/grants.ts and cli/shell.ts until they migrate
export {
  HookpackHomeError,
  hookpackHomeOrUndefined,
  isHomeError,
  resolveHookpackHome,
  unsafeHomeReason,
  userHome,
} from "../core/home.js";
