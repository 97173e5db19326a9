import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor } from "../../platform-options.js";

/** `blastwall queues resume <queue>`: an incident lever; messages are kept while delivery is paused. */
export default defineCommand({
  name: "queues resume",
  group: "Incident",
  summary: "Resume delivery of a queue to its consumer (held messages are delivered)",
  positionals: [{ name: "queue", description: "queue name", required: true }],
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall queues resume order-events"],
  run: async (ctx) => {
    const queue = ctx.positionals[0] ?? "";
    const { platform } = platformFor(ctx);
    const state = await platform.resumeQueue(queue);
    if (ctx.options.json) ctx.out.data(state);
    else {
      const backlog = state.backlog === undefined ? "" : `, backlog ${state.backlog}`;
      const dlq = state.dlqDepth === undefined ? "" : `, DLQ ${state.deadLetterQueue} ${state.dlqDepth}`;
      ctx.out.line(`${queue}: ${state.paused ? "paused" : "delivering"}${backlog}${dlq}`);
    }
    return 0;
  },
});
