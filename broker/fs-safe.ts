// moved to core/fs-safe.ts; kept for broker/{client,daemon,grants}.ts until they migrate
export {
  acquireLock,
  ensurePrivateDir,
  withLock,
  writeFileAtomic,
  type LockOptions,
} from "../core/fs-safe.js";
