import { UsageError } from "../../core/errors.js";
import { runDrill, SCENARIOS } from "../../drill/index.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";
import { closest } from "../suggest.js";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `blastwall drill <scenario>`: practises a runbook section against a throwaway local edge, and times it. */
export default defineCommand({
  name: "drill",
  group: "Incident",
  summary: "Rehearse an incident: ship a fault locally, run the runbook's commands, time the recovery",
  description: `Copies the project next to itself, starts its own local edge there, ships a fault, checks that it hurts, runs the generated runbook's commands for that incident (--target local) and checks with real requests that service came back. Exit 1 when it did not. Scenarios: ${Object.keys(SCENARIOS).join(", ")}.`,
  positionals: [{ name: "scenario", description: Object.keys(SCENARIOS).join(" | "), required: true }],
  options: {
    ...PROJECT_OPTION,
    keep: { type: "boolean", description: "keep the sandbox copy (and its edge.log) afterwards" },
  },
  json: true,
  examples: ["blastwall drill bad-version", "blastwall drill poison-flood --json"],
  run: async (ctx) => {
    const name = ctx.positionals[0] ?? "";
    const scenario = SCENARIOS[name];
    if (!scenario) {
      const guess = closest(name, Object.keys(SCENARIOS));
      throw new UsageError(
        `unknown drill scenario "${name}"`,
        `${guess ? `did you mean \`blastwall drill ${guess}\`? ` : ""}scenarios: ${Object.keys(SCENARIOS).join(", ")}`,
      );
    }
    const projectDir = findProjectDir(ctx.cwd, ctx.options.project);
    if (!ctx.options.json) ctx.out.line(`drill ${scenario.name}: ${scenario.summary}`);
    const report = await runDrill(scenario, {
      projectDir,
      cli: ctx.invoke,
      keep: ctx.options.keep,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.options.json ? {} : { progress: ctx.out }),
    });
    if (ctx.options.json) ctx.out.data(report);
    else {
      for (const c of report.checks) ctx.out.line(`  ${c.ok ? "ok  " : "FAIL"} check   ${c.name}: ${c.detail}`);
      ctx.out.line(
        report.restored
          ? `restored: the runbook's ${report.commands.length} command(s) brought service back; time to recovery ${seconds(report.ttrMs ?? 0)} (drill ${seconds(report.totalMs)})`
          : `NOT restored: the runbook did not bring service back (drill ${seconds(report.totalMs)})`,
      );
    }
    return report.restored ? 0 : 1;
  },
});
