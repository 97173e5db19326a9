import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, reportQueueState } from "../../platform-options.js";

/** `blastwall queues pause <queue>`: an incident lever; no message is lost while delivery is paused. */
export default defineCommand({
  name: "queues pause",
  group: "Incident",
  summary: "Pause delivery of a queue to its consumer (messages are kept)",
  positionals: [{ name: "queue", description: "queue name", required: true }],
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall queues pause order-events"],
  run: async (ctx) => {
    reportQueueState(ctx, await platformFor(ctx).platform.pauseQueue(ctx.positionals[0] ?? ""));
    return 0;
  },
});
