import { relative } from "node:path";
import { type NotifyEvent, notify } from "../../ci/webhook.js";
import { UsageError } from "../../core/errors.js";
import { parseTarget } from "../../core/target.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { loadReleaseContext, openPlatform } from "../../release/context.js";
import { parseVars } from "../../release/gates.js";
import { reachedGoal } from "../../release/report.js";
import { type Outcome, runRelease } from "../../release/run.js";
import { releaseReportRenderer } from "../../ui/release-report.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";
import { configOption, RELEASE_OPTIONS } from "../release-options.js";

/** Outcomes a chat channel hears about (BLASTWALL_WEBHOOK_URL). */
const NOTIFIED: Partial<Record<Outcome, NotifyEvent["event"]>> = {
  promoted: "promote",
  "rolled-back": "rollback",
  paused: "pause",
};

/** `blastwall release`: gates, migrations, 0% + smoke checks, analysed ramp, promote or roll back. */
export default defineCommand({
  name: "release",
  group: "Release",
  summary:
    "Ship a Worker: gates, migrations, smoke checks at 0%, a canary ramp judged at every poll, promote or roll back",
  description:
    "Running it again after an interruption resumes the release or rolls it back; the state is read from the platform's deployments, never from local files.",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: {
    ...PROJECT_OPTION,
    worker: {
      type: "string",
      description: "the Worker to release (needed when the project has several)",
      valueName: "<name>",
    },
    ...RELEASE_OPTIONS,
    override: {
      type: "string",
      description:
        "ship an irreversible data change with a code change anyway; the reason is recorded in the deployment message",
      valueName: "<reason>",
    },
  },
  json: true,
  examples: [
    "blastwall release --worker shop-api",
    'blastwall release --worker shop-api --override "column unused since v41"',
    "blastwall release --config api/wrangler.canary.jsonc",
  ],
  run: async ({ positionals, cwd, options, out, signal, env: processEnv }) => {
    const env = options.env;
    const override = options.override;
    if (override !== undefined && override.trim().length < 3) {
      throw new UsageError("--override needs a reason", 'say why, e.g. --override "column unused since v41"');
    }
    const target = parseTarget(options.target);
    const ctx = await loadReleaseContext(findProjectDir(cwd, options.project ?? positionals[0]), options.worker, {
      single: true,
      ...(env ? { env } : {}),
      ...configOption(options.config, cwd),
    });
    const w = ctx.workers[0];
    if (!w) throw new UsageError("no Worker to release", "pass --worker <name>");
    const platform = await openPlatform(target, ctx.projectDir);
    const report = await runRelease(
      {
        projectDir: ctx.projectDir,
        wrangler: w.wrangler,
        config: w.config,
        ...(env ? { env } : {}),
        ...(override !== undefined ? { override: override.trim() } : {}),
        vars: parseVars(options.var),
      },
      { platform, out, signal, renderReport: releaseReportRenderer(platform) },
    );
    if (options.json) out.data(report);
    else {
      out.line(`${report.outcome}: ${report.reason}`);
      if (report.htmlReport) out.line(`report: ${relative(cwd, report.htmlReport)} (and .json beside it)`);
    }
    const event = NOTIFIED[report.outcome];
    if (event)
      await notify({ event, subject: report.worker, target, message: report.reason }, { env: processEnv, out });
    return reachedGoal(report.outcome) ? 0 : 1;
  },
});
