// Step 7 of consume(): dead letters, to a producer bound to the DLQ or left to the platform's dead_letter_queue.
import { type BatchRun, errorText, type Failure, type OutcomeReason } from "./batch-run.js";
import type { PlainIssue } from "./standard-schema.js";

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

// sendBatch takes at most 100 messages.
const SEND_BATCH_LIMIT = 100;

/** Dead-letters every failure given, through the configured path. */
export async function deadLetterAll(run: BatchRun, dead: Failure[]): Promise<void> {
  if (dead.length === 0) return;
  const target = run.settings.deadLetter;
  if (target === "platform") {
    leaveToPlatform(run, dead);
    return;
  }
  for (let i = 0; i < dead.length; i += SEND_BATCH_LIMIT) {
    await sendChunk(run, target, dead.slice(i, i + SEND_BATCH_LIMIT));
  }
}

/**
 * Platform mode: retried at once. On its last attempt the platform moves it to the consumer's dead_letter_queue
 * (counted as dead-lettered); before that (a permanent failure early on) it is an ordinary retry.
 */
function leaveToPlatform(run: BatchRun, dead: Failure[]): void {
  const { maxAttempts, log } = run.settings;
  for (const f of dead) {
    log("message failed for good; leaving it to the platform dead-letter queue", {
      id: f.message.id,
      reason: f.reason,
      error: f.error,
    });
    if (f.message.attempts >= maxAttempts) run.deadLettered(f, "platform");
    else run.retry(f.message, f.key, f.reason, 0, f.error);
  }
}

function letterOf(run: BatchRun, f: Failure): DeadLetter {
  return {
    original: f.message.body,
    error: { reason: f.reason, message: f.error, ...(f.issues ? { issues: f.issues } : {}) },
    messageId: f.message.id,
    queue: run.batch.queue,
    key: f.key,
    attempts: f.message.attempts,
    deadLetteredAt: new Date(run.settings.now()).toISOString(),
  };
}

async function sendChunk(run: BatchRun, dlq: Queue, chunk: Failure[]): Promise<void> {
  const letters = chunk.map((f) => letterOf(run, f));
  const delivered = (f: Failure) => {
    run.settings.log("dead-lettered", { id: f.message.id, key: f.key, reason: f.reason, error: f.error });
    run.deadLettered(f, "producer");
  };
  try {
    await dlq.sendBatch(letters.map((body) => ({ body, contentType: "json" })));
    for (const f of chunk) delivered(f);
    return;
  } catch {
    // A batch can break the 256 KB sendBatch limit where each letter fits alone: send them one by one.
  }
  await Promise.all(
    chunk.map(async (f, j) => {
      try {
        await dlq.send(letters[j], { contentType: "json" });
        delivered(f);
      } catch (err) {
        run.settings.log("dead-letter queue refused; retrying", { id: f.message.id, error: errorText(err) });
        run.retry(f.message, f.key, "dead_letter_error", run.delayFor(f.message), errorText(err));
      }
    }),
  );
}
