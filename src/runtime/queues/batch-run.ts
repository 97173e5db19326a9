// The state of one consume() call: the options with their defaults, the counts, and the one decision per message.
import { type BackoffOptions, backoffSeconds, MAX_DELAY_SECONDS } from "./backoff.js";
import type { Envelope } from "./envelope.js";
import type { PlainIssue } from "./standard-schema.js";
import type { IdempotencyStore } from "./stores/types.js";

export type OutcomeReason =
  | "processed"
  | "duplicate"
  | "in_flight"
  | "handler_error"
  | "newer_version"
  | "invalid"
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

/**
 * What consume() did with a batch. The four counts are disjoint and add up to the batch size: every message is
 * counted once, under the decision that ended its delivery.
 */
export interface ConsumeResult {
  /** The handler ran and its work was committed; acked. */
  processed: number;
  /** Already processed (an earlier delivery, or a second copy in this batch): acked without running the handler. */
  duplicates: number;
  /** Given back to the queue for a later attempt. */
  retried: number;
  /** Sent to the dead-letter producer and acked, or (platform mode) retried on their last attempt. */
  deadLettered: number;
  outcomes: MessageOutcome[];
}

export type ConsumeLog = (event: string, detail: Record<string, unknown>) => void;

/** The options consume() reads after its defaults are applied. */
export interface RunSettings {
  idempotency: IdempotencyStore;
  sideEffects: D1Database | undefined;
  maxAttempts: number;
  backoff: BackoffOptions;
  deadLetter: Queue | "platform";
  leaseMs: number;
  ttlMs: number;
  speculative: boolean;
  key: ((message: Message<unknown>, envelope: Envelope<unknown> | undefined) => string) | undefined;
  log: ConsumeLog;
  now: () => number;
  random: () => number;
}

/** A message that decoded: its key, its data, and the envelope it came in. */
export interface Work<T> {
  message: Message<unknown>;
  key: string;
  data: T;
  envelope: Envelope<unknown> | undefined;
}

/** A message that failed before it could be acked: retried, or dead-lettered when permanent or out of attempts. */
export interface Failure {
  message: Message<unknown>;
  key: string | undefined;
  reason: OutcomeReason;
  error: string;
  issues?: PlainIssue[];
  /** Dead-letter now regardless of attempts (the payload can never succeed). */
  permanent: boolean;
}

/** A keyed message whose handler or side effects failed: retried (a fix can land), dead-lettered only by attempts. */
export function handlerFailure({ message, key }: Pick<Work<unknown>, "message" | "key">, error: string): Failure {
  return { message, key, reason: "handler_error", error, permanent: false };
}

export const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** One consume() call: every message gets exactly one decision, recorded in `result`. */
export class BatchRun {
  readonly result: ConsumeResult = { processed: 0, duplicates: 0, retried: 0, deadLettered: 0, outcomes: [] };
  readonly owner = crypto.randomUUID();
  private readonly decided = new Set<string>();

  constructor(
    readonly batch: MessageBatch<unknown>,
    readonly settings: RunSettings,
  ) {}

  isDecided(m: Message<unknown>): boolean {
    return this.decided.has(m.id);
  }

  /** Backoff for the message's next attempt. */
  delayFor(m: Message<unknown>): number {
    return backoffSeconds(m.attempts, this.settings.backoff, this.settings.random);
  }

  ack(m: Message<unknown>, key: string | undefined, reason: "processed" | "duplicate"): void {
    if (!this.claim(m)) return;
    m.ack();
    if (reason === "duplicate") this.result.duplicates++;
    else this.result.processed++;
    this.result.outcomes.push({ id: m.id, key, action: "ack", reason });
  }

  retry(m: Message<unknown>, key: string | undefined, reason: OutcomeReason, delaySeconds: number, error?: string) {
    if (!this.claim(m)) return;
    const delay = this.retryAt(m, delaySeconds);
    this.result.retried++;
    this.result.outcomes.push({
      id: m.id,
      key,
      action: "retry",
      reason,
      delaySeconds: delay,
      ...(error ? { error } : {}),
    });
  }

  /** A dead letter: acked after the DLQ producer took it, or (platform mode) retried so the platform moves it. */
  deadLettered(f: Failure, via: "producer" | "platform"): void {
    if (!this.claim(f.message)) return;
    if (via === "producer") f.message.ack();
    else this.retryAt(f.message, 0);
    this.result.deadLettered++;
    this.result.outcomes.push({
      id: f.message.id,
      key: f.key,
      action: "dead_letter",
      reason: f.reason,
      error: f.error,
      ...(via === "platform" ? { delaySeconds: 0 } : {}),
    });
  }

  /** Retries whatever no step decided: after an unexpected error nothing is dropped. */
  retryUndecided(): void {
    for (const m of this.batch.messages) {
      if (!this.isDecided(m)) this.retry(m, undefined, "store_error", this.delayFor(m));
    }
  }

  private claim(m: Message<unknown>): boolean {
    if (this.decided.has(m.id)) return false;
    this.decided.add(m.id);
    return true;
  }

  private retryAt(m: Message<unknown>, delaySeconds: number): number {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
    m.retry({ delaySeconds: delay });
    return delay;
  }
}
