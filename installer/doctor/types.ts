// The vocabulary of \`hookpack doctor\`: a check, the context every check reads, the report.
import type { Scope } from "../../adapters/adapter.js";
import type { AgentProtection } from "../sandbox-doctor.js";

export type CheckStatus = "ok" | "info" | "warn" | "fail";

export interface DoctorCheck {
  /** Stable id: "node", "store", "audit-log", "hooks", "hook-runs", "ignore-files", … */
  id: string;
  status: CheckStatus;
  /** "machine", or the project directory the check is about. */
  subject: string;
  agent?: string;
  scope?: Scope;
  /** One line: what was found. */
  message: string;
  /** One concrete next step, present whenever status is warn or fail. */
  fix?: string;
}

export interface DoctorContext {
  /** The project to check (git top level or cwd). */
  root: string;
  home: string;
  hookpackHome: string;
  env: NodeJS.ProcessEnv;
  version: string;
  distDir: string;
  nodePath: string;
  /** Run each registered hook command (default true). */
  runHooks?: boolean;
  hookTimeoutMs?: number;
}

export interface DoctorReport {
  version: 1;
  hookpack: string;
  node: string;
  hookpackHome: string;
  projects: string[];
  checks: DoctorCheck[];
  /** Per project and installed agent: what holds against a hostile agent (installer/sandbox-doctor.ts). */
  protection: AgentProtection[];
  /** Checks with status warn or fail. */
  attention: number;
}

/** The subject of checks about this machine rather than a project. */
export const MACHINE = "machine";
