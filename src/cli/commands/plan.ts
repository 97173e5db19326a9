import type { Output } from "../../core/console.js";
import { parseTarget } from "../../core/target.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { loadReleaseContext, openPlatform } from "../../release/context.js";
import { dryRunGate, parseVars, withVars } from "../../release/gates.js";
import { gatherPlan, type ReleasePlan } from "../../release/plan.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";
import { configOption, RELEASE_OPTIONS } from "../release-options.js";

function minutes(s: number | undefined): string {
  if (s === undefined) return "not at 100%";
  return s >= 5400 ? `${(s / 3600).toFixed(1)} h at 100%` : `${Math.round(s / 60)} min at 100%`;
}

/** Prints one plan as aligned rows; the verdict last, with the split when refused. */
export function printPlan(out: Output, plan: ReleasePlan): void {
  const row = (label: string, text: string) => out.line(`  ${label.padEnd(15)}${text}`);
  out.line(`${out.bold(plan.worker)} on ${plan.target}`);
  const inForce = plan.inForce;
  row(
    "in force",
    inForce
      ? `${inForce.split.map((v) => `${v.versionId.slice(0, 8)} ${v.percentage}% (bundle ${v.bundle?.slice(0, 8) ?? "unknown"})`).join(" / ")} · ${minutes(inForce.at100Seconds)}`
      : "nothing deployed yet",
  );
  const s = plan.start;
  if (s.kind === "resume")
    row("in flight", `release ${s.release} at ${s.percent}% (${s.phase}): \`blastwall release\` resumes it`);
  if (s.kind === "abandon")
    row("in flight", `release ${s.release}: ${s.reason}; \`blastwall release\` rolls it back first`);
  if (s.kind === "foreign-split") row("in flight", `a split blastwall did not make (${s.detail})`);
  row("new bundle", plan.bundle.slice(0, 8));
  row("code", `${plan.code.changed ? "changed" : "unchanged"}: ${plan.code.detail}`);
  if (plan.d1.length === 0) row("D1", "no pending migrations");
  for (const m of plan.d1) {
    const first = m.statements.find((x) => x.kind !== "expand" && x.kind !== "neutral");
    const when = plan.blastWindow.migrations.find((x) => x.name === m.name && x.database === m.database)?.when;
    const order =
      plan.blastWindow.verdict === "refuse"
        ? "held back"
        : when === "after-promotion"
          ? "after promotion"
          : "before the code";
    row(
      `D1 ${m.database}`,
      `${m.name}  ${m.class}${first ? `  (${first.summary}… line ${first.line})` : ""}  → ${order}`,
    );
  }
  if (!plan.durableObjectTag.known) row("DO migrations", "unknown: the platform cannot say which tag it applied");
  else if (plan.durableObjects.length === 0) row("DO migrations", "none pending");
  for (const m of plan.durableObjects) {
    row(`DO ${m.tag}`, [...m.added.map((c) => `adds ${c}`), ...m.irreversible].join("; ") || "no class changes");
  }
  const t = plan.traffic;
  if (t) {
    row("traffic", `${t.rps.toFixed(1)} rps, stable error rate ${(t.errorRate * 100).toFixed(2)}% before the release`);
    row("min samples", t.steps.map((x) => `${x.percent}%: ${x.minSamples} (≈${x.expected} by deadline)`).join(" · "));
    for (const x of t.steps) {
      if (x.raised) row("first step", x.raised);
      if (x.warning) out.warn(x.warning);
    }
  }
  const bw = plan.blastWindow;
  row(
    "verdict",
    bw.verdict === "go"
      ? out.paint(`go: ${bw.reasons.join("; ")}`, "32")
      : out.paint(`refused: ${bw.reasons.join("; ")}`, "31"),
  );
  for (const line of bw.split) row("", `→ ${line}`);
}

/** `blastwall plan`: what a release would do, read from the platform. */
export default defineCommand({
  name: "plan",
  group: "Release",
  summary: "Show what a release would do: version in force, pending migrations, code change, blast-window verdict",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: {
    ...PROJECT_OPTION,
    worker: { type: "string", description: "only this Worker (default: every Worker)", valueName: "<name>" },
    ...RELEASE_OPTIONS,
    override: {
      type: "string",
      description: "show the verdict as `release` would with this override reason",
      valueName: "<reason>",
    },
  },
  json: true,
  examples: ["blastwall plan --worker shop-api", "blastwall plan --project examples/shop --json"],
  run: async ({ positionals, cwd, options, out, signal }) => {
    const env = options.env;
    const override = options.override;
    const target = parseTarget(options.target);
    const ctx = await loadReleaseContext(findProjectDir(cwd, options.project ?? positionals[0]), options.worker, {
      single: false,
      ...(env ? { env } : {}),
      ...configOption(options.config, cwd),
    });
    const platform = await openPlatform(target, ctx.projectDir);
    const vars = parseVars(options.var);
    const plans: ReleasePlan[] = [];
    for (const w of ctx.workers) {
      const step = out.step(`plan ${w.config.worker}: wrangler deploy --dry-run`);
      const dry = await dryRunGate(w.wrangler, { ...(env ? { env } : {}), signal });
      step.ok(`bundle ${dry.bundleHash.slice(0, 8)}, ${(dry.bytes / 1024).toFixed(1)} KiB`);
      plans.push(
        await gatherPlan({
          platform,
          projectDir: ctx.projectDir,
          wrangler: w.wrangler,
          config: w.config,
          bundleHash: withVars(dry.bundleHash, vars),
          ...(env ? { env } : {}),
          ...(override !== undefined ? { override } : {}),
        }),
      );
    }
    if (options.json) out.data({ plans });
    else for (const p of plans) printPlan(out, p);
    return plans.some((p) => p.blastWindow.verdict === "refuse") ? 1 : 0;
  },
});
