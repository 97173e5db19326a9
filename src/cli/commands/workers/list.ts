import { basename, dirname } from "node:path";
import { findProjectDir } from "../../../platform/local/find-project.js";
import { loadProject, relativeTo } from "../../../project/discover.js";
import { defineCommand } from "../../command.js";
import { PROJECT_OPTION } from "../../platform-options.js";

/** `blastwall workers list`: the Workers blastwall sees in a project, with the bindings it will protect. */
export default defineCommand({
  name: "workers list",
  group: "Project",
  summary: "List the Workers in a project and their bindings",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: { ...PROJECT_OPTION },
  json: true,
  examples: ["blastwall workers list --project examples/shop", "blastwall workers list --json"],
  run: async ({ positionals, cwd, out, options }) => {
    const project = loadProject(findProjectDir(cwd, options.project ?? positionals[0]));
    const workers = project.workers.map((w) => ({
      name: w.name ?? basename(dirname(w.path)),
      config: relativeTo(project.root, w.path),
      main: w.main ?? null,
      compatibility_date: w.compatibility_date ?? null,
      d1: w.d1_databases.map((d) => d.binding),
      kv: w.kv_namespaces.map((k) => k.binding),
      r2: w.r2_buckets.map((r) => r.binding),
      durable_objects: w.durable_objects.bindings.map((b) => b.class_name),
      queue_producers: w.queues.producers.map((p) => p.queue),
      queue_consumers: w.queues.consumers.map((c) => c.queue),
      envs: Object.keys(w.env),
    }));
    if (options.json) {
      out.data({ root: project.root, workers });
      return 0;
    }
    for (const w of workers) {
      out.line(`${out.bold(w.name)}  (${w.config})`);
      const rows: [string, string[]][] = [
        ["D1", w.d1],
        ["KV", w.kv],
        ["R2", w.r2],
        ["Durable Objects", w.durable_objects],
        ["produces to", w.queue_producers],
        ["consumes", w.queue_consumers],
        ["environments", w.envs],
      ];
      for (const [label, items] of rows) if (items.length) out.line(`  ${label.padEnd(16)}${items.join(", ")}`);
    }
    return 0;
  },
});
