// `hookpack doctor [--json] [--all] [--no-run]`: what is installed, whether it works, and one
// concrete fix for every problem. Exit 1 when something needs attention. The checks live in
// installer/doctor.ts; this file only words them. JSON output (version 1) is documented in the
// README ("hookpack doctor").
import { parseArgs } from "node:util";
import {
  installedProjects,
  runDoctor,
  type CheckStatus,
  type DoctorCheck,
} from "../../installer/doctor.js";
import { distDir, homeDir, hookpackHome, projectRoot, VERSION } from "../context.js";
import type { Command } from "../io.js";

const LABEL: Record<CheckStatus, string> = { ok: "ok  ", info: "info", warn: "WARN", fail: "FAIL" };

export const doctor: Command = {
  name: "doctor",
  options: [
    ["--json", "machine output"],
    ["--all", "every project hookpack was installed into, not only this one"],
    ["--no-run", "do not run the registered hook commands once"],
  ],
  example: "hookpack doctor",
  summary: "check that hookpack is installed and working here, with one fix for every problem",
  usage: "hookpack doctor [--json] [--all] [--no-run]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        json: { type: "boolean", default: false },
        all: { type: "boolean", default: false },
        "no-run": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    const ctx = {
      root: projectRoot(io),
      home: homeDir(io),
      hookpackHome: hookpackHome(io),
      env: io.env,
      version: VERSION,
      distDir: distDir(),
      nodePath: process.execPath,
      runHooks: !values["no-run"],
    };
    const report = await runDoctor(ctx, values.all ? installedProjects(ctx) : []);
    if (values.json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return report.attention > 0 ? 1 : 0;
    }
    io.out(
      `hookpack: doctor: hookpack ${report.hookpack} on Node ${report.node.replace(/^v/, "")}, HOOKPACK_HOME ${report.hookpackHome}\n`,
    );
    const groups = new Map<string, DoctorCheck[]>();
    for (const c of report.checks) groups.set(c.subject, [...(groups.get(c.subject) ?? []), c]);
    for (const [subject, checks] of groups) {
      io.out(`hookpack: ${subject === "machine" ? "this machine" : `project ${subject}`}\n`);
      for (const c of checks) {
        io.out(`hookpack:   ${LABEL[c.status]}  ${c.message}\n`);
        if (c.fix && (c.status === "warn" || c.status === "fail"))
          io.out(`hookpack:         fix: ${c.fix}\n`);
      }
    }
    io.out(
      report.attention > 0
        ? `hookpack: ${report.attention} thing${report.attention === 1 ? "" : "s"} need${report.attention === 1 ? "s" : ""} attention.\n`
        : "hookpack: everything checked is in order.\n",
    );
    return report.attention > 0 ? 1 : 0;
  },
};
