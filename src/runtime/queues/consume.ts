import { type BackoffOptions, backoffSeconds, MAX_DELAY_SECONDS } from "./backoff.js";
import { type Envelope, envelopeKey, type MessageDefinition } from "./envelope.js";
import type { PauseSource } from "./pause.js";
import type { PlainIssue } from "./standard-schema.js";
import type { DoneEntry, IdempotencyStore, SettleResult } from "./stores/types.js";

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

export interface PauseOptions {
  source: PauseSource;
  /** Delay of the retried batch while paused. Default 60. */
  delaySeconds?: number;
  /** What a failure to read the flag means. Default "consume": an unreadable flag never stalls the queue. */
  onError?: "consume" | "pause";
}

export interface ConsumeOptions<T> {
  /** Where processed keys are recorded: d1Store (strong, exactly-once D1 effects), durableObjectStore, kvStore. */
  store: IdempotencyStore;
  /** The message type; without it bodies reach the handler as they are and the key is the message id. */
  message?: MessageDefinition<T>;
  /** Where returned statements run when the store cannot commit them itself (Durable Object and KV stores). */
  sideEffects?: D1Database;
  /** Deliveries before a message is dead-lettered. Keep it equal to the consumer's `max_retries` + 1. Default 5. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /**
   * A producer bound to the dead-letter queue: the original body and the error are sent there and the message acked.
   * `"platform"` (default): the message is retried and the platform moves it after `max_retries`.
   */
  deadLetter?: Queue | "platform";
  pause?: PauseOptions;
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
  log?: (event: string, detail: Record<string, unknown>) => void;
  now?: () => number;
  random?: () => number;
}

export type OutcomeReason =
  | "processed"
  | "duplicate"
  | "in_flight"
  | "handler_error"
  | "newer_version"
  | "invalid"
  | "paused"
  | "lease_lost"
  | "store_error"
  | "dead_letter_error";

export interface MessageOutcome {
  id: string;
  key: string | undefined;
  action: "ack" | "retry" | "dead_letter";
  reason: OutcomeReason;
  delaySeconds?: number;
  error?: string;
}

export interface ConsumeResult {
  /** Messages acked, including duplicates. */
  acked: number;
  retried: number;
  /** Sent to the dead-letter producer and acked, or (platform mode) retried on their last attempt. */
  deadLettered: number;
  /** Already processed: acked without running the handler. */
  duplicates: number;
  paused: boolean;
  outcomes: MessageOutcome[];
}

/** What the dead-letter queue receives. */
export interface DeadLetter {
  original: unknown;
  error: { reason: OutcomeReason | string; message: string; issues?: PlainIssue[] };
  messageId: string;
  queue: string;
  key: string | undefined;
  attempts: number;
  deadLetteredAt: string;
}

interface Work<T> {
  message: Message<unknown>;
  key: string;
  data: T;
  envelope: Envelope<unknown> | undefined;
}

type HandlerOutcome = { ok: true; statements: readonly D1PreparedStatement[] } | { ok: false; error: string };

interface Failure {
  message: Message<unknown>;
  key: string | undefined;
  reason: OutcomeReason;
  error: string;
  issues?: PlainIssue[];
  /** Dead-letter now regardless of attempts (the payload can never succeed). */
  permanent: boolean;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * Runs `handler` over a queue batch and decides ack, retry or dead letter for every message; it never throws and
 * never drops a message. Duplicates (same key already COMPLETED) are acked without running the handler; a key whose
 * lease another worker holds is retried after the lease.
 *
 * @example
 * export default {
 *   async queue(batch, env) {
 *     await consume(batch, async (order, { key }) => [
 *       env.DB.prepare("UPDATE orders SET status = 'confirmed' WHERE id = ?").bind(order.orderId),
 *     ], { store: d1Store(env.DB), message: orderCreated, deadLetter: env.ORDERS_DLQ,
 *          pause: { source: kvPauseSource(env.CONFIG) } });
 *   },
 * } satisfies ExportedHandler<Env>;
 */
export async function consume<T>(
  batch: MessageBatch<unknown>,
  handler: Handler<T>,
  {
    store,
    message: definition,
    sideEffects,
    maxAttempts = 5,
    backoff = {},
    deadLetter = "platform",
    pause,
    leaseMs = 60_000,
    ttlMs = 7 * 24 * 60 * 60 * 1000,
    key: keyOf,
    speculative = false,
    log = (event, detail) => console.warn(`blastwall/queues: ${event}`, detail),
    now = Date.now,
    random = Math.random,
  }: ConsumeOptions<T>,
): Promise<ConsumeResult> {
  const result: ConsumeResult = { acked: 0, retried: 0, deadLettered: 0, duplicates: 0, paused: false, outcomes: [] };
  const decided = new Set<string>();
  const delayFor = (m: Message<unknown>) => backoffSeconds(m.attempts, backoff, random);

  const ack = (m: Message<unknown>, key: string | undefined, reason: OutcomeReason) => {
    if (decided.has(m.id)) return;
    decided.add(m.id);
    m.ack();
    result.acked++;
    if (reason === "duplicate") result.duplicates++;
    result.outcomes.push({ id: m.id, key, action: "ack", reason });
  };
  const retry = (
    m: Message<unknown>,
    key: string | undefined,
    reason: OutcomeReason,
    delaySeconds: number,
    error?: string,
  ) => {
    if (decided.has(m.id)) return;
    decided.add(m.id);
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
    m.retry({ delaySeconds: delay });
    result.retried++;
    result.outcomes.push({ id: m.id, key, action: "retry", reason, delaySeconds: delay, ...(error ? { error } : {}) });
  };

  try {
    if (pause && (await isPaused(pause, batch.queue, log))) {
      batch.retryAll({ delaySeconds: pause.delaySeconds ?? 60 });
      for (const m of batch.messages) {
        decided.add(m.id);
        result.outcomes.push({
          id: m.id,
          key: undefined,
          action: "retry",
          reason: "paused",
          delaySeconds: pause.delaySeconds ?? 60,
        });
      }
      result.retried = batch.messages.length;
      result.paused = true;
      return result;
    }

    // 1. Decode: bad payloads fail now; newer versions wait for the rollout to reach this consumer.
    const failures: Failure[] = [];
    const work: Work<T>[] = [];
    const decoded = await Promise.all(
      batch.messages.map(async (m) => {
        try {
          return { m, d: definition ? await definition.decode(m.body) : undefined };
        } catch (err) {
          // A validator or upcaster that throws is a bug in the consumer, not in the message: retry, so a fix can land.
          return { m, d: undefined, threw: errorText(err) };
        }
      }),
    );
    for (const { m, d, threw } of decoded) {
      if (threw !== undefined) {
        failures.push({
          message: m,
          key: undefined,
          reason: "invalid",
          error: `decoding threw: ${threw}`,
          permanent: false,
        });
      } else if (d === undefined) {
        work.push({ message: m, key: keyOf?.(m, undefined) ?? m.id, data: m.body as T, envelope: undefined });
      } else if (d.ok) {
        work.push({
          message: m,
          key: keyOf?.(m, d.envelope) ?? envelopeKey(d.envelope),
          data: d.data,
          envelope: d.envelope,
        });
      } else {
        failures.push({
          message: m,
          key: undefined,
          reason: d.reason === "newer_version" ? "newer_version" : "invalid",
          error: d.message,
          ...("issues" in d ? { issues: d.issues } : {}),
          permanent: d.reason !== "newer_version",
        });
      }
    }

    // 2. The same key twice in one batch: the first copy stands for both.
    const leaders = new Map<string, Work<T>>();
    const followers: Work<T>[] = [];
    for (const w of work) {
      if (leaders.has(w.key)) followers.push(w);
      else leaders.set(w.key, w);
    }

    // 3. Each handler runs at most once per key; the outcome is kept so the slow path below never reruns it.
    const owner = crypto.randomUUID();
    const ran = new Map<string, Promise<HandlerOutcome>>();
    const runOnce = (w: Work<T>): Promise<HandlerOutcome> => {
      const existing = ran.get(w.key);
      if (existing !== undefined) return existing;
      const started = runHandler(w);
      ran.set(w.key, started);
      return started;
    };
    const runHandler = async (w: Work<T>): Promise<HandlerOutcome> => {
      try {
        const returned = await handler(w.data, {
          key: w.key,
          attempts: w.message.attempts,
          message: w.message,
          envelope: w.envelope,
        });
        const statements = returned ?? [];
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

    // Fast path for pure handlers: run them all, then claim, commit and complete in one round trip. A duplicate, a
    // key in flight, or any failure rolls that step back and the batch takes the claim-first path below.
    let fast = false;
    if (speculative && store.commitSpeculatively && leaders.size > 0) {
      const outcomes = await Promise.all([...leaders.values()].map(runOnce));
      const entries: DoneEntry[] = [];
      [...leaders.values()].forEach((w, i) => {
        const o = outcomes[i];
        if (o?.ok) entries.push({ key: w.key, statements: o.statements });
      });
      if (entries.length === leaders.size) {
        try {
          fast = await store.commitSpeculatively({
            keys: [...leaders.keys()],
            owner,
            now: now(),
            leaseMs,
            ttlMs,
            done: entries,
          });
        } catch (err) {
          log("speculative commit failed; claiming first", { error: errorText(err) });
        }
        if (fast) for (const w of leaders.values()) ack(w.message, w.key, "processed");
      }
    }

    if (!fast) {
      // 4. Claim every key at once, then run the claimed handlers concurrently.
      const done: (DoneEntry & { work: Work<T> })[] = [];
      let claims: Awaited<ReturnType<IdempotencyStore["claim"]>>;
      try {
        claims = await store.claim({ keys: [...leaders.keys()], owner, now: now(), leaseMs, ttlMs });
      } catch (err) {
        log("claim failed; retrying the batch", { error: errorText(err) });
        for (const w of leaders.values()) retry(w.message, w.key, "store_error", delayFor(w.message), errorText(err));
        claims = new Map();
      }
      const running: Promise<unknown>[] = [];
      for (const w of leaders.values()) {
        const claim = claims.get(w.key);
        if (claim === undefined) continue;
        if (claim.outcome === "completed") ack(w.message, w.key, "duplicate");
        else if (claim.outcome === "in_flight") {
          const waitMs = claim.leaseUntil - now();
          retry(w.message, w.key, "in_flight", Math.max(1, Math.ceil(waitMs / 1000)) + Math.floor(random() * 2));
        } else {
          running.push(
            runOnce(w).then((o) => {
              if (o.ok) done.push({ key: w.key, statements: o.statements, work: w });
              else
                failures.push({
                  message: w.message,
                  key: w.key,
                  reason: "handler_error",
                  error: o.error,
                  permanent: false,
                });
            }),
          );
        }
      }
      await Promise.all(running);

      // 5. Stores outside D1's transaction: commit side effects first (a crash right after repeats them).
      let committable = done;
      if (!store.commitsStatements && sideEffects !== undefined && done.some((d) => d.statements.length > 0)) {
        committable = await runSideEffects(sideEffects, done, failures);
      }

      // 6. Complete the successes and release the failures' claims, in one step.
      const claimedFailures = failures.filter((f) => f.key !== undefined && claims.get(f.key)?.outcome === "claimed");
      let settled: Map<string, SettleResult>;
      try {
        settled = await store.settle({
          owner,
          now: now(),
          ttlMs,
          done: committable.map(({ key, statements }) => ({ key, statements })),
          failed: claimedFailures.map((f) => f.key as string),
        });
      } catch (err) {
        // Unknown whether the commit landed: retry. A redelivery finds COMPLETED (ack) or a lapsed lease (reprocess).
        log("settle failed; retrying its messages", { error: errorText(err) });
        for (const d of committable)
          retry(d.work.message, d.key, "store_error", delayFor(d.work.message), errorText(err));
        settled = new Map();
      }
      for (const d of committable) {
        const s = settled.get(d.key);
        if (s === undefined) continue;
        if (s.ok) ack(d.work.message, d.key, "processed");
        else if (s.reason === "lease_lost")
          retry(d.work.message, d.key, "lease_lost", 1 + Math.floor(random() * 2), s.message);
        else
          failures.push({
            message: d.work.message,
            key: d.key,
            reason: "handler_error",
            error: s.message,
            permanent: false,
          });
      }
    }

    // 7. Failures: retry with backoff, or dead-letter when permanent or out of attempts.
    const dead: Failure[] = [];
    for (const f of failures) {
      if (decided.has(f.message.id)) continue;
      if (f.permanent || f.message.attempts >= maxAttempts) dead.push(f);
      else {
        if (f.reason === "handler_error")
          log("handler failed; retrying", { id: f.message.id, key: f.key, error: f.error });
        retry(f.message, f.key, f.reason, delayFor(f.message), f.error);
      }
    }
    await deadLetterAll(dead);

    // 8. Later copies of a key follow the first: it was processed, or it is being retried or dead-lettered.
    for (const w of followers) ack(w.message, w.key, "duplicate");
  } catch (err) {
    // A bug or an unexpected platform error: retry what is undecided rather than crash the batch.
    log("unexpected error; retrying undecided messages", { error: errorText(err) });
  }
  for (const m of batch.messages) {
    if (!decided.has(m.id)) retry(m, undefined, "store_error", delayFor(m));
  }
  return result;

  async function deadLetterAll(dead: Failure[]): Promise<void> {
    if (dead.length === 0) return;
    if (deadLetter === "platform") {
      // Retried at once; after its last attempt the platform moves it to the queue's dead_letter_queue.
      for (const f of dead) {
        const last = f.message.attempts >= maxAttempts;
        log("message failed for good; leaving it to the platform dead-letter queue", {
          id: f.message.id,
          reason: f.reason,
          error: f.error,
        });
        retry(f.message, f.key, f.reason, 0, f.error);
        if (last) {
          result.retried--;
          result.deadLettered++;
          const outcome = result.outcomes[result.outcomes.length - 1];
          if (outcome) outcome.action = "dead_letter";
        }
      }
      return;
    }
    const letters: MessageSendRequest<DeadLetter>[] = dead.map((f) => ({
      contentType: "json",
      body: {
        original: f.message.body,
        error: { reason: f.reason, message: f.error, ...(f.issues ? { issues: f.issues } : {}) },
        messageId: f.message.id,
        queue: batch.queue,
        key: f.key,
        attempts: f.message.attempts,
        deadLetteredAt: new Date(now()).toISOString(),
      },
    }));
    const delivered = (f: Failure) => {
      log("dead-lettered", { id: f.message.id, key: f.key, reason: f.reason, error: f.error });
      decided.add(f.message.id);
      f.message.ack();
      result.acked++;
      result.deadLettered++;
      result.outcomes.push({ id: f.message.id, key: f.key, action: "dead_letter", reason: f.reason, error: f.error });
    };
    for (let i = 0; i < letters.length; i += 100) {
      const chunk = dead.slice(i, i + 100);
      try {
        await deadLetter.sendBatch(letters.slice(i, i + 100));
        for (const f of chunk) delivered(f);
      } catch {
        // A batch can break the 256 KB sendBatch limit where each letter fits alone: send them one by one.
        await Promise.all(
          chunk.map(async (f, j) => {
            const letter = letters[i + j];
            try {
              if (letter === undefined) throw new Error("no letter");
              await deadLetter.send(letter.body, { contentType: "json" });
              delivered(f);
            } catch (err) {
              log("dead-letter queue refused; retrying", { id: f.message.id, error: errorText(err) });
              retry(f.message, f.key, "dead_letter_error", delayFor(f.message), errorText(err));
            }
          }),
        );
      }
    }
  }
}

async function isPaused(
  { source, onError = "consume" }: PauseOptions,
  queue: string,
  log: NonNullable<ConsumeOptions<unknown>["log"]>,
): Promise<boolean> {
  try {
    return await source.isPaused(queue);
  } catch (err) {
    log("pause flag unreadable", { queue, error: errorText(err), assumed: onError });
    return onError === "pause";
  }
}

/** Commits every message's statements in one batch; if that fails, message by message so one bad one fails alone. */
async function runSideEffects<T, E extends DoneEntry & { work: Work<T> }>(
  db: D1Database,
  done: E[],
  failures: Failure[],
): Promise<E[]> {
  const withStatements = done.filter((d) => d.statements.length > 0);
  try {
    await db.batch(withStatements.flatMap((d) => [...d.statements]));
    return done;
  } catch {
    const ok = new Set<E>(done.filter((d) => d.statements.length === 0));
    await Promise.all(
      withStatements.map(async (d) => {
        try {
          await db.batch([...d.statements]);
          ok.add(d);
        } catch (err) {
          failures.push({
            message: d.work.message,
            key: d.key,
            reason: "handler_error",
            error: errorText(err),
            permanent: false,
          });
        }
      }),
    );
    return done.filter((d) => ok.has(d));
  }
}
