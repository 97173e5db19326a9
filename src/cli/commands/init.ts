import { stdin, stdout } from "node:process";
import { createInterface } from "node:readline/promises";
import type { Output } from "../../core/console.js";
import { type InitPlan, planInit, writeInit } from "../../init/index.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { defineCommand } from "../command.js";
import { PROJECT_OPTION } from "../platform-options.js";

function printSnippets(out: Output, plan: InitPlan): void {
  for (const { worker, snippets } of plan.snippets) {
    if (snippets.length === 0) continue;
    out.line("");
    out.line(out.bold(`${worker}: add this code`));
    snippets.forEach((s, i) => {
      out.line(`${i + 1}. ${s.title}: ${s.action === "create" ? "create" : "in"} ${s.file}`);
      out.line(`\`\`\`${s.language}`);
      out.line(s.code.trimEnd());
      out.line("```");
    });
  }
}

function printNext(out: Output, plan: InitPlan, project: string | undefined, wroteWorkflow: boolean): void {
  const p = project ? ` --project ${project}` : "";
  const http = plan.workers.find((w) => w.http) ?? plan.workers[0];
  const worker = plan.workers.length > 1 && http ? ` --worker ${http.name}` : "";
  out.line("");
  out.line(out.bold("Next"));
  out.line(`  npx blastwall check${p}                 # the static gate`);
  out.line(`  npx blastwall local up${p} --port 0     # the local edge; applies pending D1 migrations`);
  out.line(`  npx blastwall release${p}${worker} --target local   # a first local canary`);
  out.line("  wrangler secret put BLASTWALL_ADMIN_TOKEN   # before the first Cloudflare release: the ops admin API");
  if (!wroteWorkflow)
    out.line(`  npx blastwall init${p} --ci             # add the CI workflow (${plan.workflowFile})`);
}

/** Asks on a terminal; a script, CI or --json never waits for an answer. */
async function askForWorkflow(out: Output, plan: InitPlan): Promise<boolean> {
  if (!stdin.isTTY || !stdout.isTTY) return false;
  const rl = createInterface({ input: stdin, output: stdout });
  try {
    const answer = await rl.question(`Add the CI workflow at ${plan.workflowFile}? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    out.line("");
  }
}

/** `blastwall init`: blastwall.config.ts from the project, the code to add, and the CI workflow on request. */
export default defineCommand({
  name: "init",
  group: "Project",
  summary: "Set up blastwall in a Worker project: blastwall.config.ts, the code to add, the CI workflow",
  description:
    "Finds the wrangler configs, writes blastwall.config.ts with smoke checks (from a health route in your code) and a ramp, prints the exact code to add for the kill switch, telemetry, queue consumers and the Env types, and offers to add a GitHub Actions workflow.",
  options: {
    ...PROJECT_OPTION,
    ci: { type: "boolean", description: "also write the CI workflow (.github/workflows/blastwall.yml)" },
    force: { type: "boolean", description: "replace an existing blastwall config" },
  },
  json: true,
  examples: ["blastwall init", "blastwall init --ci", "blastwall init --project apps/shop --json"],
  run: async ({ options, cwd, out }) => {
    const project = options.project;
    const plan = planInit(findProjectDir(cwd, project));
    const json = options.json;
    const ci = options.ci || (!json && (await askForWorkflow(out, plan)));
    const written = writeInit(plan, { force: options.force, ci });
    if (json) {
      out.data({ ...plan, written });
      return 0;
    }
    for (const w of plan.workers) {
      const roles = [w.http ? "HTTP" : "", ...w.consumes.map((c) => `consumes ${c.queue}`)].filter(Boolean);
      const health = w.http ? `, ${w.healthPath ? `health route ${w.healthPath}` : "no health route found"}` : "";
      out.line(`found ${w.name} (${w.config}): ${roles.join(", ")}${health}`);
    }
    if (written.includes(plan.configFile)) out.line(`wrote ${plan.configFile}`);
    else out.warn(`kept ${plan.existingConfig}: pass --force to replace it`);
    if (written.includes(plan.workflowFile)) out.line(`wrote ${plan.workflowFile}`);
    printSnippets(out, plan);
    printNext(out, plan, project, written.includes(plan.workflowFile));
    return 0;
  },
});
