import { LocalPlatform } from "../../../platform/local/client.js";
import type { QueueState } from "../../../platform/platform.js";
import { loadProject } from "../../../project/discover.js";
import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, table } from "../../platform-options.js";

/** `blastwall queues list`: each queue with its backlog, DLQ depth and whether delivery is paused. */
export default defineCommand({
  name: "queues list",
  group: "Incident",
  summary: "List queues with backlog, DLQ depth and paused state",
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall queues list", "blastwall queues list --json"],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["queues"]);
    let states: QueueState[];
    if (platform instanceof LocalPlatform) states = await platform.listQueues();
    else {
      // Other targets answer per queue: ask for every queue the project's configs consume.
      const names = new Set(loadProject(projectDir).workers.flatMap((w) => w.queues.consumers.map((c) => c.queue)));
      states = await Promise.all([...names].sort().map((q) => platform.queueState(q)));
    }
    if (ctx.options.json) {
      ctx.out.data({ queues: states });
      return 0;
    }
    const rows = [["queue", "state", "backlog", "dlq", "dlq depth"]];
    for (const s of states) {
      rows.push([
        s.queue,
        s.paused ? "paused" : "delivering",
        String(s.backlog ?? "?"),
        s.deadLetterQueue ?? "-",
        s.dlqDepth === undefined ? "-" : String(s.dlqDepth),
      ]);
    }
    for (const l of table(rows)) ctx.out.line(l);
    return 0;
  },
});
