import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseTarget } from "../../core/target.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { loadProject } from "../../project/discover.js";
import { buildRunbook, renderRunbook } from "../../runbook/index.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";

/** `blastwall runbook`: the incident runbook for this project, with its own Worker, queue, database and class names. */
export default defineCommand({
  name: "runbook",
  group: "Incident",
  summary: "Write the incident runbook for this project (four incidents, exact commands)",
  description:
    "Reads the project's wrangler configs and writes, for a compute regression, a queue consumer regression, a bad D1 migration and a Durable Object migration issue, the lever commands to run in order.",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: {
    ...PROJECT_OPTION,
    out: { type: "string", short: "o", description: "write the runbook to this file", valueName: "<file>" },
    target: {
      type: "string",
      description: "the target every command names: cloudflare (default) or local",
      valueName: "<target>",
    },
  },
  json: true,
  examples: [
    "blastwall runbook --out RUNBOOK.md",
    "blastwall runbook --project examples/shop --target local",
    "blastwall runbook --json",
  ],
  run: async ({ positionals, cwd, out, options }) => {
    const target = parseTarget(options.target, "cloudflare");
    const project = loadProject(findProjectDir(cwd, options.project ?? positionals[0]));
    const runbook = buildRunbook(project, { target });
    const file = options.out;
    if (options.json) {
      if (file) writeFileSync(resolve(cwd, file), renderRunbook(runbook));
      out.data(runbook);
      return 0;
    }
    const markdown = renderRunbook(runbook);
    if (!file) {
      out.line(markdown.trimEnd());
      return 0;
    }
    writeFileSync(resolve(cwd, file), markdown);
    const counts = runbook.incidents.reduce<Record<string, number>>((acc, i) => {
      acc[i.id] = (acc[i.id] ?? 0) + 1;
      return acc;
    }, {});
    const commands = runbook.incidents.reduce((t, i) => t + i.steps.filter((s) => s.command).length, 0);
    out.line(
      `wrote ${file}: ${runbook.incidents.length} incident sections (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}), ${commands} commands for ${runbook.workers.map((w) => w.name).join(", ")}`,
    );
    return 0;
  },
});
