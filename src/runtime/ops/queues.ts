import type { FlagEvaluation, FlagReader } from "./flags.js";

/** Thrown by a guarded producer while `disable_enqueue` is on. Nothing was sent. */
export class EnqueueRefusedError extends Error {
  readonly flag: string;
  readonly evaluation: FlagEvaluation;
  constructor(evaluation: FlagEvaluation, queue: string | undefined, count: number) {
    const target = queue ? `queue "${queue}"` : "the queue";
    const why =
      evaluation.reason === "ERROR"
        ? `the ops flag store is unreachable and "${evaluation.flag}" fails closed`
        : `an operator turned on ops flag "${evaluation.flag}"`;
    super(
      `blastwall: enqueue refused: ${why}; ${count} message(s) were NOT sent to ${target}. ` +
        "Answer 503 (catch EnqueueRefusedError) or keep the work to send after the flag is off.",
    );
    this.name = "EnqueueRefusedError";
    this.flag = evaluation.flag;
    this.evaluation = evaluation;
  }
}

export interface GuardProducerOptions {
  flags: FlagReader;
  /** Default "disable_enqueue". */
  flag?: string;
  /** Named in the error message. */
  queue?: string;
}

/**
 * Wraps a queue producer binding: `send` and `sendBatch` throw `EnqueueRefusedError` (and send nothing) while
 * `disable_enqueue` is on. `metrics` passes through.
 *
 * @example
 * const events = guardProducer(env.ORDER_EVENTS, { flags, queue: "order-events" });
 * await events.send(event); // throws EnqueueRefusedError while disable_enqueue is on
 */
export function guardProducer<Body>(
  queue: Queue<Body>,
  { flags, flag = "disable_enqueue", queue: name }: GuardProducerOptions,
): Queue<Body> {
  if (!flags.definition(flag)) {
    throw new TypeError(
      `blastwall guardProducer: flag "${flag}" is not declared in the reader's flags; add ${flag}: { failMode: "open" | "closed" }`,
    );
  }
  const refuseIfOn = async (count: number) => {
    const evaluation = await flags.get(flag);
    if (evaluation.enabled) throw new EnqueueRefusedError(evaluation, name, count);
  };
  return {
    async send(message, options) {
      await refuseIfOn(1);
      return queue.send(message, options);
    },
    async sendBatch(messages, options) {
      const list = [...messages];
      await refuseIfOn(list.length);
      return queue.sendBatch(list, options);
    },
    metrics: () => queue.metrics(),
  };
}

/** The flag that pauses one queue's consumer: `pause_consumer:<queue>`. */
export function pauseConsumerFlag(queue: string): string {
  return `pause_consumer:${queue}`;
}

export type QueueHandler<Body, E> = (batch: MessageBatch<Body>, env: E, ctx: ExecutionContext) => Promise<void>;

export interface GuardConsumerOptions<E> {
  flags: (env: E) => FlagReader;
  /** Retry delay while paused. Default 300 s; at most 43200 (12 h, the Queues limit). */
  delaySeconds?: number;
  /** Default `pause_consumer:<batch.queue>`. */
  flag?: (queue: string) => string;
}

/**
 * Wraps a queue consumer: while `pause_consumer:<queue>` is on, the whole batch is retried with a delay and the
 * handler is not called. Nothing is acked or dropped. Each pause retry counts as an attempt, so a pause longer than
 * about `max_retries × delaySeconds` moves messages to the dead-letter queue: for long pauses, pause delivery on the
 * queue itself (`wrangler queues pause-delivery`).
 *
 * @example
 * export default { queue: guardConsumer(handleBatch, { flags: (env) => createFlagReader({ flags: OPS, store: kvStore(env.CONFIG) }) }) };
 */
export function guardConsumer<Body, E>(
  handler: QueueHandler<Body, E>,
  { flags, delaySeconds = 300, flag = pauseConsumerFlag }: GuardConsumerOptions<E>,
): QueueHandler<Body, E> {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 43_200) {
    throw new RangeError("blastwall guardConsumer: delaySeconds must be a whole number from 0 to 43200 (12 h)");
  }
  return async (batch, env, ctx) => {
    const name = flag(batch.queue);
    const reader = flags(env);
    if (!reader.definition(name)) {
      throw new TypeError(
        `blastwall guardConsumer: flag "${name}" is not declared in the reader's flags; add "pause_consumer:*": { failMode: "open" | "closed" }`,
      );
    }
    const evaluation = await reader.get(name);
    if (evaluation.enabled) {
      batch.retryAll({ delaySeconds });
      console.warn(
        `blastwall: consumer of "${batch.queue}" paused by ops flag "${name}" (${evaluation.reason}); ` +
          `${batch.messages.length} message(s) retried in ${delaySeconds} s, none acked or dropped`,
      );
      return;
    }
    await handler(batch, env, ctx);
  };
}
