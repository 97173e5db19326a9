import type { FlagEvaluation, FlagReader } from "./flags.js";

/** Thrown by a guarded producer while `disable_enqueue` is on. Nothing was sent. */
export class EnqueueRefusedError extends Error {
  readonly flag: string;
  readonly evaluation: FlagEvaluation;
  /** Messages refused; undefined when the refusal came from the check before the write. */
  readonly count: number | undefined;
  constructor(evaluation: FlagEvaluation, queue: string | undefined, count?: number) {
    const target = queue ? `queue "${queue}"` : "the queue";
    const why =
      evaluation.reason === "ERROR"
        ? `the ops flag store is unreachable and "${evaluation.flag}" fails closed`
        : `an operator turned on ops flag "${evaluation.flag}"`;
    const what =
      count === undefined
        ? `sending to ${target} is off (checked before any write)`
        : `${count} message(s) were NOT sent to ${target}`;
    super(
      `blastwall: enqueue refused: ${why}; ${what}. ` +
        "Answer 503 (catch EnqueueRefusedError) or keep the work to send after the flag is off.",
    );
    this.name = "EnqueueRefusedError";
    this.flag = evaluation.flag;
    this.evaluation = evaluation;
    this.count = count;
  }
}

export interface GuardProducerOptions {
  /** The flag reader the guard consults. */
  reader: FlagReader;
  /** Default "disable_enqueue". */
  flag?: string;
  /** Named in the error message. */
  queue?: string;
}

/** A producer wrapped by {@link guardProducer}. */
export interface GuardedQueue<Body> extends Queue<Body> {
  /**
   * Decides once whether this producer may send, before the handler writes anything. `true` is kept: later `send`
   * and `sendBatch` calls on this producer go through even if the flag flips meanwhile, so a row written after the
   * check never loses its message. `false` is kept too: every later send is refused.
   */
  canSend(): Promise<boolean>;
}

interface Decider {
  decide(): Promise<FlagEvaluation>;
  queue: string | undefined;
}

// The guarded producers, so `canSend(env.QUEUE)` works where the code only sees the binding's `Queue` type.
const guarded = new WeakMap<object, Decider>();

/**
 * Wraps a queue producer binding: `send` and `sendBatch` throw `EnqueueRefusedError` (and send nothing) while
 * `disable_enqueue` is on. `metrics` passes through. Call {@link canSend} (or {@link assertCanSend}) BEFORE the
 * handler's first write: then the decision is taken while nothing is written yet, and later sends keep it.
 *
 * @example
 * const events = guardProducer(env.ORDER_EVENTS, { reader, queue: "order-events" });
 * await assertCanSend(events);   // 1. decide: throws EnqueueRefusedError while disable_enqueue is on
 * await env.DB.prepare("INSERT INTO orders (id) VALUES (?)").bind(id).run(); // 2. write
 * await events.send(event);      // 3. send: keeps the decision of step 1
 */
export function guardProducer<Body>(
  queue: Queue<Body>,
  { reader, flag = "disable_enqueue", queue: name }: GuardProducerOptions,
): GuardedQueue<Body> {
  if (!reader.definition(flag)) {
    throw new TypeError(
      `blastwall guardProducer: flag "${flag}" is not declared in the reader's flags; add ${flag}: { failMode: "open" | "closed" }`,
    );
  }
  let decided: FlagEvaluation | undefined;
  const decide = async () => {
    decided ??= await reader.get(flag);
    return decided;
  };
  const refuseIfOn = async (count: number) => {
    const evaluation = decided ?? (await reader.get(flag));
    if (evaluation.enabled) throw new EnqueueRefusedError(evaluation, name, count);
  };
  const producer: GuardedQueue<Body> = {
    canSend: async () => !(await decide()).enabled,
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
  guarded.set(producer, { decide, queue: name });
  return producer;
}

function deciderOf(queue: Queue<never>, fn: string): Decider {
  const producer = guarded.get(queue);
  if (producer === undefined) {
    // A wiring mistake that would let writes through unguarded: fail the first test that reaches it.
    throw new TypeError(`blastwall ${fn}: this queue was not wrapped by guardProducer; wrap the binding first`);
  }
  return producer;
}

/**
 * `true` while the guarded producer may send. Call it before the handler's first write; the answer holds for the
 * producer's later sends (see {@link GuardedQueue.canSend}). Throws a TypeError for a queue `guardProducer` did not
 * wrap.
 *
 * @example
 * if (!(await canSend(env.ORDER_EVENTS))) return Response.json({ error: "enqueue_paused" }, { status: 503 });
 */
export async function canSend(queue: Queue<never>): Promise<boolean> {
  return !(await deciderOf(queue, "canSend").decide()).enabled;
}

/**
 * Like {@link canSend}, but throws `EnqueueRefusedError` when sending is off, so a Hono app answers 503 through
 * `blastwallErrors()` before anything was written.
 *
 * @example
 * await assertCanSend(c.env.ORDER_EVENTS); // before the INSERT
 */
export async function assertCanSend(queue: Queue<never>): Promise<void> {
  const { decide, queue: name } = deciderOf(queue, "assertCanSend");
  const evaluation = await decide();
  if (evaluation.enabled) throw new EnqueueRefusedError(evaluation, name);
}

/** The flag that pauses one queue's consumer: `pause_consumer:<queue>`. */
export function pauseConsumerFlag(queue: string): string {
  return `pause_consumer:${queue}`;
}

export type QueueHandler<Body, E> = (batch: MessageBatch<Body>, env: E, ctx: ExecutionContext) => Promise<void>;

export interface GuardConsumerOptions<E> {
  /** The flag reader, made from the batch's env. */
  reader: (env: E) => FlagReader;
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
 * export default { queue: guardConsumer(handleBatch, { reader: (env) => createFlagReader({ flags: OPS, store: kvStore(env.CONFIG) }) }) };
 */
export function guardConsumer<Body, E>(
  handler: QueueHandler<Body, E>,
  { reader: readerOf, delaySeconds = 300, flag = pauseConsumerFlag }: GuardConsumerOptions<E>,
): QueueHandler<Body, E> {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 43_200) {
    throw new RangeError("blastwall guardConsumer: delaySeconds must be a whole number from 0 to 43200 (12 h)");
  }
  return async (batch, env, ctx) => {
    const name = flag(batch.queue);
    const reader = readerOf(env);
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
