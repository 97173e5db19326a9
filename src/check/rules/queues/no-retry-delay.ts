import { at, kv } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { consumers } from "./consumers.js";

export const meta: RuleMeta = {
  id: "queues/no-retry-delay",
  severity: "warning",
  summary: "A queue consumer without retry_delay retries failed messages immediately.",
};

/** Consumers whose retries hit a struggling dependency again at once, burning the retry budget in seconds. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    // max_retries 0 never redelivers: there is no retry to delay.
    const undelayed = consumers(ctx).filter(
      (c) => c.consumer.retry_delay === undefined && c.consumer.max_retries !== 0,
    );
    // A handler that catches every error and delays each retry itself never gets a message back at once (the entry is
    // parsed only when a consumer would be reported).
    if (undelayed.length === 0 || ctx.queueDelaysRetries()) return [];
    return undelayed.map(({ consumer, path }) =>
      at(
        ctx,
        meta,
        [...path, "queue"],
        `the consumer of ${consumer.queue} has no retry_delay: a failed message is redelivered at once, so ${consumer.max_retries ?? 3} retries can be spent before a failing dependency recovers`,
        `add ${kv(ctx, "retry_delay", 30)} (seconds) to this consumer, and back off further in code with \`msg.retry({ delaySeconds })\``,
        { queue: consumer.queue },
      ),
    );
  },
});
