import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, reportQueueState } from "../../platform-options.js";

/** `blastwall queues resume <queue>`: an incident lever; no message is lost while delivery is paused. */
export default defineCommand({
  name: "queues resume",
  group: "Incident",
  summary: "Resume delivery of a paused queue (held messages are delivered)",
  positionals: [{ name: "queue", description: "queue name", required: true }],
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall queues resume order-events"],
  run: async (ctx) => {
    reportQueueState(ctx, await (await platformFor(ctx, ["queues"])).platform.resumeQueue(ctx.positionals[0] ?? ""));
    return 0;
  },
});
