import type { BackoffOptions } from "./backoff.js";
import { BatchRun, type ConsumeLog, type ConsumeResult, errorText, type RunSettings, type Work } from "./batch-run.js";
import {
  claimAndRun,
  commitSideEffects,
  commitSpeculatively,
  decodeBatch,
  followLeaders,
  type HandlerOutcome,
  type RunOnce,
  retryOrCondemn,
  settleClaims,
  splitRepeats,
} from "./consume-steps.js";
import { deadLetterAll } from "./dead-letter.js";
import type { Envelope, MessageDefinition } from "./envelope.js";
import type { IdempotencyStore } from "./stores/types.js";

export type { ConsumeResult, MessageOutcome, OutcomeReason } from "./batch-run.js";
export type { DeadLetter } from "./dead-letter.js";

export interface HandlerContext {
  /** The idempotency key: pass it to non-D1 side effects (HTTP, other services) so they can deduplicate. */
  key: string;
  attempts: number;
  message: Message<unknown>;
  /** The envelope as sent (before upcasting), when a message definition is configured. */
  envelope: Envelope<unknown> | undefined;
}

/**
 * Processes one message. Return D1 prepared statements to have them committed with the COMPLETED record (exactly
 * once with the D1 store); anything else the handler does itself is at-least-once.
 */
export type Handler<T> = (data: T, context: HandlerContext) => Promise<HandlerReturn> | HandlerReturn;

// biome-ignore lint/suspicious/noConfusingVoidType: a handler with nothing to commit is written `async () => {}`
type HandlerReturn = readonly D1PreparedStatement[] | undefined | void;

/** Cloudflare's default `max_retries` for a queue consumer: 3 retries, so 4 deliveries in all. */
export const DEFAULT_MAX_RETRIES = 3;

export interface ConsumeOptions<T> {
  /**
   * Where processed keys are recorded: `d1Idempotency` (strong, exactly-once D1 effects), `durableObjectIdempotency`,
   * `kvIdempotency`.
   */
  idempotency: IdempotencyStore;
  /** The message type; without it bodies reach the handler as they are and the key is the message id. */
  message?: MessageDefinition<T>;
  /** Where returned statements run when the store cannot commit them itself (Durable Object and KV stores). */
  sideEffects?: D1Database;
  /**
   * Deliveries before a message is dead-lettered: the consumer's `max_retries` + 1. Default 4, which matches
   * Cloudflare's default `max_retries` of 3. `blastwall check` compares the two (rule `queues/max-attempts`).
   */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /**
   * A producer bound to the dead-letter queue: the original body and the error are sent there and the message acked.
   * `"platform"` (default): the message is retried and the platform moves it after `max_retries`.
   */
  deadLetter?: Queue | "platform";
  /** How long a claim is held before another worker may take it over. Default 60,000 ms. */
  leaseMs?: number;
  /** How long a record lives: duplicates later than this are processed again. Default 7 days in ms. */
  ttlMs?: number;
  /**
   * Promise that handlers are pure: their only side effects are the statements they return. Handlers then run before
   * the claim, and a batch without duplicates costs one round trip instead of two (stores with
   * `commitSpeculatively`: D1). Handlers of duplicates run too, their statements discarded. Default false.
   */
  speculative?: boolean;
  /** Overrides the key: by default the envelope's `source#id`, else the message id. */
  key?: (message: Message<unknown>, envelope: Envelope<unknown> | undefined) => string;
  /** Logs decisions that lose work: handler errors, dead letters, store failures. Default console.warn. */
  log?: ConsumeLog;
  now?: () => number;
  random?: () => number;
}

function settingsOf<T>({
  idempotency,
  sideEffects,
  maxAttempts = DEFAULT_MAX_RETRIES + 1,
  backoff = {},
  deadLetter = "platform",
  leaseMs = 60_000,
  ttlMs = 7 * 24 * 60 * 60 * 1000,
  speculative = false,
  key,
  log = (event, detail) => console.warn(`blastwall/queues: ${event}`, detail),
  now = Date.now,
  random = Math.random,
}: ConsumeOptions<T>): RunSettings {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError("blastwall consume: maxAttempts must be a whole number ≥ 1 (max_retries + 1)");
  }
  return {
    idempotency,
    sideEffects,
    maxAttempts,
    backoff,
    deadLetter,
    leaseMs,
    ttlMs,
    speculative,
    key,
    log,
    now,
    random,
  };
}

/** Runs each key's handler at most once; the outcome is kept so the claim-first path never reruns it. */
function handlerRunner<T>(run: BatchRun, handler: Handler<T>): RunOnce<T> {
  const { idempotency: store, sideEffects } = run.settings;
  const ran = new Map<string, Promise<HandlerOutcome>>();
  const runHandler = async (w: Work<T>): Promise<HandlerOutcome> => {
    try {
      const context = { key: w.key, attempts: w.message.attempts, message: w.message, envelope: w.envelope };
      const statements = (await handler(w.data, context)) ?? [];
      if (!Array.isArray(statements))
        throw new TypeError("a handler may return only an array of D1 prepared statements");
      if (statements.length > 0 && !store.commitsStatements && sideEffects === undefined) {
        throw new Error(
          `handler returned D1 statements, but the ${store.kind} store cannot commit them: set options.sideEffects`,
        );
      }
      return { ok: true, statements };
    } catch (err) {
      return { ok: false, error: errorText(err) };
    }
  };
  return (w) => {
    const started = ran.get(w.key) ?? runHandler(w);
    ran.set(w.key, started);
    return started;
  };
}

/**
 * Runs `handler` over a queue batch and decides ack, retry or dead letter for every message; it never throws and
 * never drops a message. Duplicates (same key already COMPLETED) are acked without running the handler; a key whose
 * lease another worker holds is retried after the lease. The result's counts are disjoint: `processed`,
 * `duplicates`, `retried` and `deadLettered` add up to the batch size.
 *
 * To stop consumption during an incident, pause delivery on the queue (`blastwall queues pause <queue>`); see
 * docs/guides/queues.md.
 *
 * @example
 * export default {
 *   async queue(batch, env) {
 *     await consume(batch, async (order, { key }) => [
 *       env.DB.prepare("UPDATE orders SET status = 'confirmed' WHERE id = ?").bind(order.orderId),
 *     ], { idempotency: d1Idempotency(env.DB), message: orderCreated, deadLetter: env.ORDERS_DLQ });
 *   },
 * } satisfies ExportedHandler<Env>;
 */
export async function consume<T>(
  batch: MessageBatch<unknown>,
  handler: Handler<T>,
  options: ConsumeOptions<T>,
): Promise<ConsumeResult> {
  const run = new BatchRun(batch, settingsOf(options));
  try {
    const { work, failures } = await decodeBatch(run, options.message);
    const { leaders, followers } = splitRepeats(work);
    const runOnce = handlerRunner(run, handler);
    if (!(await commitSpeculatively(run, leaders, runOnce))) {
      const { claims, done } = await claimAndRun(run, leaders, runOnce, failures);
      const committable = await commitSideEffects(run, done, failures);
      await settleClaims(run, committable, claims, failures);
    }
    await deadLetterAll(run, retryOrCondemn(run, failures));
    followLeaders(run, followers);
  } catch (err) {
    // A bug or an unexpected platform error: retry what is undecided rather than crash the batch.
    run.settings.log("unexpected error; retrying undecided messages", { error: errorText(err) });
  }
  run.retryUndecided();
  return run.result;
}
