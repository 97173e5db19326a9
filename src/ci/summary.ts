import type { ReleaseReport } from "../release/run.js";

export interface SummaryOptions {
  /** Where the HTML report can be downloaded (the CI artifact). */
  artifactUrl?: string;
}

const ICON: Record<string, string> = { promoted: "✅", "up-to-date": "✅", migrated: "✅", "rolled-back": "🚨" };

/**
 * The GitHub job summary of a release (markdown): the decision, the numbers of each ramp step and a link to the
 * HTML report.
 *
 * @example
 * appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderReleaseSummary(report, { artifactUrl }));
 */
export function renderReleaseSummary(
  report: Pick<
    ReleaseReport,
    "worker" | "target" | "outcome" | "reason" | "candidate" | "stable" | "steps" | "migrations"
  >,
  { artifactUrl }: SummaryOptions = {},
): string {
  const lines = [
    `## blastwall release: ${report.worker} ${ICON[report.outcome] ?? "⚠️"} ${report.outcome}`,
    "",
    `**Decision:** ${report.reason}`,
    "",
    `Target ${report.target}; candidate \`${report.candidate?.slice(0, 8) ?? "-"}\`, stable \`${report.stable?.slice(0, 8) ?? "-"}\`.`,
  ];
  if (report.steps.length) {
    lines.push("", "| step | seconds | canary requests | decision |", "|---:|---:|---:|---|");
    for (const s of report.steps) {
      lines.push(
        `| ${s.percent}% | ${Math.round(s.seconds)} | ${s.canaryRequests} | ${s.decision.replace(/\|/g, "\\|")} |`,
      );
    }
  }
  if (report.migrations.length) {
    lines.push("", "| migration | class | restore point |", "|---|---|---|");
    for (const m of report.migrations) lines.push(`| ${m.database}/${m.name} | ${m.class} | \`${m.restorePoint}\` |`);
  }
  if (artifactUrl) lines.push("", `[HTML report](${artifactUrl}) (charts, canary analysis, every decision)`);
  return `${lines.join("\n")}\n`;
}
