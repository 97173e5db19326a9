import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor } from "../../platform-options.js";

/** `blastwall queues pause <queue>`: an incident lever; messages are kept while delivery is paused. */
export default defineCommand({
  name: "queues pause",
  group: "Incident",
  summary: "Pause delivery of a queue to its consumer (messages are kept)",
  positionals: [{ name: "queue", description: "queue name", required: true }],
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall queues pause order-events"],
  run: async (ctx) => {
    const queue = ctx.positionals[0] ?? "";
    const { platform } = platformFor(ctx);
    const state = await platform.pauseQueue(queue);
    if (ctx.options.json) ctx.out.data(state);
    else {
      const backlog = state.backlog === undefined ? "" : `, backlog ${state.backlog}`;
      const dlq = state.dlqDepth === undefined ? "" : `, DLQ ${state.deadLetterQueue} ${state.dlqDepth}`;
      ctx.out.line(`${queue}: ${state.paused ? "paused" : "delivering"}${backlog}${dlq}`);
    }
    return 0;
  },
});
