// Every `hookpack` command. A new command is one module in this folder plus one line here.
import type { Command } from "../io.js";
import { install, uninstall } from "./install.js";
import { checkPack } from "./check-pack.js";
import { prePush } from "./pre-push.js";
import { exec } from "./exec.js";
import { secret } from "./secret.js";
import { audit } from "./audit.js";
import { revoke } from "./revoke.js";
import { doctor } from "./doctor.js";
import { scan } from "./scan.js";
import { allow } from "./allow.js";
import { broker } from "./broker.js";
import { run } from "./run.js";
import { leases } from "./leases.js";
import { policy } from "./policy.js";

export const COMMANDS: readonly Command[] = [
  install,
  uninstall,
  prePush,
  checkPack,
  exec,
  secret,
  allow,
  audit,
  revoke,
  leases,
  doctor,
  scan,
  run,
  broker,
  policy,
];
