// Every `hookpack` command. A new command is one module in this folder plus one line here.
import type { Command } from "../io.js";
import { install, uninstall } from "./install.js";

export const COMMANDS: readonly Command[] = [install, uninstall];
