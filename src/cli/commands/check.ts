import { relative, resolve } from "node:path";
import { failsGate } from "../../check/findings.js";
import { isReportFormat, REPORT_FORMATS, renderReport } from "../../check/report/index.js";
import { ruleMetas } from "../../check/rules/index.js";
import { runCheck } from "../../check/run-check.js";
import type { Step } from "../../core/console.js";
import { UsageError } from "../../core/errors.js";
import { packageVersion } from "../../core/version.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";

/** `blastwall check`: the static release gate over a project's migrations, config and code. */
export default defineCommand({
  name: "check",
  group: "Check",
  summary: "Check migrations, config and code for changes that would break production",
  description:
    "Replays every D1 migration on SQLite and diffs the schema after each statement; exits 1 on any error finding, 2 on unusable input.",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: {
    ...PROJECT_OPTION,
    format: {
      type: "string",
      description: `output: ${REPORT_FORMATS.join(" | ")} (default pretty)`,
      valueName: "<format>",
    },
    data: {
      type: "string",
      description: "replay pending migrations on this data: a SQLite file or a `wrangler d1 export` .sql dump",
      valueName: "<file>",
    },
    base: {
      type: "string",
      description:
        "git ref of what shipped: the Durable Object history must extend it, and findings on migrations, steps and config it already had drop to info",
      valueName: "<git-ref>",
    },
    "base-schema": {
      type: "string",
      description:
        "SQL of tables made outside migrations (e.g. `wrangler d1 export <db> --remote --no-data`), run before the first migration",
      valueName: "<file.sql>",
    },
    config: {
      type: "string",
      multiple: true,
      description:
        "check this wrangler config (repeatable), e.g. one you deploy with `wrangler -c`; default: every config found",
      valueName: "<file>",
    },
    init: {
      type: "boolean",
      description:
        "adopt blastwall: write blastwall.baseline.json so today's findings drop to info and only new ones fail",
    },
  },
  json: true,
  examples: [
    "blastwall check",
    "blastwall check --project examples/shop --format sarif > blastwall.sarif",
    "blastwall check --data prod.sql   # from: wrangler d1 export <db> --remote --output=prod.sql",
    "blastwall check --init            # adopt on an existing app: park today's findings, fail only on new ones",
  ],
  run: async ({ positionals, cwd, out, options, env }) => {
    const format = options.json ? "json" : (options.format ?? "pretty");
    if (!isReportFormat(format))
      throw new UsageError(`check: unknown --format "${format}"`, `use one of: ${REPORT_FORMATS.join(", ")}`);
    const dir = findProjectDir(cwd, options.project ?? positionals[0]);
    const data = options.data;
    const base = options.base;
    // Machine formats keep stdout to the document only; progress is for people.
    const human = format === "pretty";
    const steps = new Map<string, { step: Step; last: string }>();
    const result = await runCheck(dir, {
      ...(data ? { data: resolve(cwd, data) } : {}),
      ...(base ? { base } : {}),
      ...(options["base-schema"] ? { baseSchema: resolve(cwd, options["base-schema"]) } : {}),
      init: options.init,
      ...(options.config.length > 0 ? { configs: options.config.map((c) => resolve(cwd, c)) } : {}),
      onProgress: (analyzer, detail) => {
        if (!human) return;
        const known = steps.get(analyzer);
        const entry = known ?? { step: out.step(analyzer), last: "" };
        if (!known) steps.set(analyzer, entry);
        entry.last = detail;
        entry.step.update(detail);
      },
    });
    for (const { step, last } of steps.values()) step.ok(last);
    const workspace = env.GITHUB_WORKSPACE;
    const text = renderReport(result, {
      format,
      root: dir,
      paint: (t, c) => out.paint(t, c),
      rules: ruleMetas,
      toolVersion: packageVersion(),
      annotate: env.GITHUB_ACTIONS === "true" && format === "pretty",
      ...(workspace ? { githubPrefix: relative(resolve(workspace), dir).split("\\").join("/") } : {}),
    });
    if (out.json) out.data(JSON.parse(text));
    else out.line(text.replace(/\n$/, ""));
    return failsGate(result.findings) ? 1 : 0;
  },
});
