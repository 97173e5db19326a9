import type { ReleaseReport, ReleaseReportInput, ReleaseReportRenderer } from "../release/report.js";
import { collectDashboardData, type DashboardData, type DashboardSource } from "./dashboard-data.js";
import { renderDashboardHtml } from "./html.js";

/**
 * The release's HTML report: the dashboard's charts for the release's own window, its analysis polls against the
 * decision line, every decision with its numbers, and the gates and findings. One self-contained file.
 */

/** What the report is drawn from: the release layer's own description of a finished run, and the platform to chart. */
export type ReleaseReportHtmlOptions = ReleaseReportInput & { platform: DashboardSource };

/** At most this many points per chart, so a long release still gives a light file. */
const MAX_POINTS = 240;

/** Turns a release's report and polls into what the dashboard draws. */
export async function releaseDashboardData({
  report,
  platform,
  wrangler,
  config,
  polls,
  findings,
  now,
}: ReleaseReportHtmlOptions): Promise<DashboardData> {
  // The charts cover the release plus a little of the traffic before it, for comparison.
  const seconds = Math.max(30, (now.getTime() - Date.parse(report.startedAt)) / 1000 + 30);
  const stepSeconds = Math.max(1, Math.ceil(seconds / MAX_POINTS));
  const databases = wrangler.d1_databases.map((d) => ({
    worker: report.worker,
    database: d.database_name ?? d.binding,
  }));
  const analysis: DashboardData["analysis"] = {
    points: polls.flatMap((p) =>
      p.e !== undefined && p.threshold !== undefined
        ? [
            {
              t: p.t,
              e: p.e,
              threshold: p.threshold,
              ...(p.eLatency !== undefined ? { eLatency: p.eLatency } : {}),
            },
          ]
        : [],
    ),
    decisions: polls
      .filter((p) => p.verdict !== "hold")
      .map((p) => ({
        t: p.t,
        worker: p.worker,
        verdict: p.verdict,
        message: p.message,
        ...(p.numbers ? { numbers: p.numbers } : {}),
      })),
  };
  // The release's own decision lines (smoke checks, refusals, promotion, rollback) close the list.
  const end = Math.round(now.getTime() / 1000);
  analysis.decisions.push({
    t: end,
    worker: report.worker,
    verdict: report.outcome,
    message: report.reason,
    numbers: { decisions: report.decisions.join("\n") },
  });
  const data = await collectDashboardData({
    platform,
    workers: [report.worker],
    queues: config.watch.queues,
    databases,
    stepSeconds,
    windowSeconds: Math.ceil(seconds / stepSeconds) * stepSeconds,
    now,
    analysis,
    title: `release ${report.release} of ${report.worker}: ${report.outcome}`,
  });
  return {
    ...data,
    gates: gateRows(report),
    findings: findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      file: f.file,
      line: f.line,
      message: f.message,
    })),
  };
}

/** The report's table: gates, smoke checks, ramp steps, then what the analysis concluded, and the outcome. */
function gateRows(report: ReleaseReport): DashboardData["gates"] {
  const a = report.analysis;
  return [
    { name: "blastwall check", outcome: report.gates.check ? "ran" : "not run", detail: report.gates.check },
    {
      name: "wrangler deploy --dry-run",
      outcome: report.gates.dryRun ? "ok" : "not run",
      detail: report.gates.dryRun,
    },
    {
      name: "blast window",
      outcome: report.blastWindow.verdict,
      detail: [...report.blastWindow.reasons, ...report.blastWindow.split.map((s) => `split: ${s}`)].join("; "),
    },
    ...report.smoke.map((s) => ({ name: `smoke: ${s.name}`, outcome: s.ok ? "ok" : "failed", detail: s.detail })),
    ...report.steps.map((s) => ({
      name: `ramp ${s.percent}%`,
      outcome: s.decision.split(":")[0] ?? s.decision,
      detail: `${s.seconds} s, ${s.canaryRequests} canary requests; ${s.decision}`,
    })),
    ...(a?.effectBound ? [{ name: "effect bound", outcome: "measured", detail: a.effectBound }] : []),
    ...(a ? [{ name: "sample ratio (SRM)", outcome: a.srmStatus, detail: a.srm }] : []),
    ...(a?.ingestion
      ? [
          {
            name: "metrics ingestion",
            outcome: a.ingestion.sampled ? "sampled rows" : "every row",
            detail: `each window read ${a.ingestion.lagSeconds} s back (the platform's ingestion lag)`,
          },
        ]
      : []),
    ...(a?.strata ?? []).map((s) => ({
      name: `stratum ${s.name}`,
      outcome: "drove the decision",
      detail: `${s.counts}; log e ${s.logE.toFixed(1)}`,
    })),
    ...(a?.alerts ?? []).map((t) => ({ name: "alert", outcome: "alert", detail: t })),
    { name: "outcome", outcome: report.outcome, detail: report.reason },
  ];
}

/**
 * Renders the release's self-contained HTML report.
 *
 * @example
 * writeFileSync(".blastwall/releases/r-1.html", await renderReleaseReport({ report, platform, wrangler, config, polls, findings, now }));
 */
export async function renderReleaseReport(options: ReleaseReportHtmlOptions): Promise<string> {
  const data = await releaseDashboardData(options);
  return renderDashboardHtml({ mode: "report", data, title: data.title });
}

/**
 * The renderer a release is given: its report, charted from `platform`.
 *
 * @example
 * await runRelease(options, { platform, out, renderReport: releaseReportRenderer(platform) });
 */
export function releaseReportRenderer(platform: DashboardSource): ReleaseReportRenderer {
  return (input) => renderReleaseReport({ ...input, platform });
}
