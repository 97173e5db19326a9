import { at, kv } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { consumers } from "./consumers.js";

export const meta: RuleMeta = {
  id: "queues/no-dead-letter-queue",
  severity: "warning",
  summary: "A queue consumer without dead_letter_queue deletes messages after max_retries.",
};

/** Consumers that would silently drop a message once its retries run out. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return consumers(ctx)
      .filter((c) => !c.consumer.dead_letter_queue)
      .map(({ consumer, path }) => {
        const dlq = `${consumer.queue}-dlq`;
        const retries = consumer.max_retries ?? 3;
        return at(
          ctx,
          meta,
          [...path, "queue"],
          `the consumer of ${consumer.queue} has no dead_letter_queue: after ${retries} retries a failing message is deleted and lost`,
          `create a DLQ (\`wrangler queues create ${dlq}\`) and add ${kv(ctx, "dead_letter_queue", dlq)} to this consumer`,
          { queue: consumer.queue, max_retries: retries },
        );
      });
  },
});
