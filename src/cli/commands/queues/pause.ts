import { notify } from "../../../ci/webhook.js";
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
    const { platform } = await platformFor(ctx, ["queues"]);
    const queue = ctx.positionals[0] ?? "";
    const state = await platform.pauseQueue(queue);
    reportQueueState(ctx, state);
    const message = `delivery of ${queue} paused; messages are kept (backlog ${state.backlog ?? "unknown"})`;
    await notify({ event: "pause", subject: queue, target: platform.target, message }, { env: ctx.env, out: ctx.out });
    return 0;
  },
});
