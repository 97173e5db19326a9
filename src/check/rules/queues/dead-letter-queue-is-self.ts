import { at, kv } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { consumers } from "./consumers.js";

export const meta: RuleMeta = {
  id: "queues/dead-letter-queue-is-self",
  severity: "error",
  summary: "A consumer's dead_letter_queue must not be the queue it consumes.",
};

/** A DLQ equal to the queue: poison messages loop back into the consumer forever instead of being parked. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return consumers(ctx)
      .filter((c) => c.consumer.dead_letter_queue !== undefined && c.consumer.dead_letter_queue === c.consumer.queue)
      .map(({ consumer, path }) =>
        at(
          ctx,
          meta,
          [...path, "dead_letter_queue"],
          `the consumer of ${consumer.queue} dead-letters into ${consumer.queue} itself: a message that exhausts its retries comes straight back, failing forever and crowding out good messages`,
          `point it at a separate queue: \`wrangler queues create ${consumer.queue}-dlq\` and ${kv(ctx, "dead_letter_queue", `${consumer.queue}-dlq`)}`,
          { queue: consumer.queue },
        ),
      );
  },
});
