// The steps of consume(), in the order it runs them. Each decides some messages through the BatchRun.
import { type BatchRun, errorText, type Failure, handlerFailure, type Work } from "./batch-run.js";
import { envelopeKey, type MessageDefinition } from "./envelope.js";
import type { ClaimResult, DoneEntry, SettleResult } from "./stores/types.js";

export type HandlerOutcome = { ok: true; statements: readonly D1PreparedStatement[] } | { ok: false; error: string };
/** Runs a message's handler at most once per key; a second call returns the first call's outcome. */
export type RunOnce<T> = (w: Work<T>) => Promise<HandlerOutcome>;
type Done<T> = DoneEntry & { work: Work<T> };

/** 1. Decode: bad payloads fail now (permanently); newer versions wait for the rollout to reach this consumer. */
export async function decodeBatch<T>(
  run: BatchRun,
  definition: MessageDefinition<T> | undefined,
): Promise<{ work: Work<T>[]; failures: Failure[] }> {
  const work: Work<T>[] = [];
  const failures: Failure[] = [];
  const keyOf = run.settings.key;
  const decoded = await Promise.all(
    run.batch.messages.map(async (m) => {
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
  return { work, failures };
}

/** 2. The same key twice in one batch: the first copy (the leader) stands for the later ones (followers). */
export function splitRepeats<T>(work: Work<T>[]): { leaders: Map<string, Work<T>>; followers: Work<T>[] } {
  const leaders = new Map<string, Work<T>>();
  const followers: Work<T>[] = [];
  for (const w of work) {
    if (leaders.has(w.key)) followers.push(w);
    else leaders.set(w.key, w);
  }
  return { leaders, followers };
}

/**
 * 3a. Fast path for pure handlers: run them all, then claim, commit and complete in one round trip. Returns false
 * (nothing committed) when a key is a duplicate or in flight, or anything failed: the claim-first path follows.
 */
export async function commitSpeculatively<T>(
  run: BatchRun,
  leaders: Map<string, Work<T>>,
  runOnce: RunOnce<T>,
): Promise<boolean> {
  const { idempotency: store, speculative, leaseMs, ttlMs, now, log } = run.settings;
  if (!speculative || store.commitSpeculatively === undefined || leaders.size === 0) return false;
  const work = [...leaders.values()];
  const outcomes = await Promise.all(work.map(runOnce));
  const done: DoneEntry[] = [];
  work.forEach((w, i) => {
    const o = outcomes[i];
    if (o?.ok) done.push({ key: w.key, statements: o.statements });
  });
  if (done.length !== leaders.size) return false;
  let committed = false;
  try {
    committed = await store.commitSpeculatively({
      keys: [...leaders.keys()],
      owner: run.owner,
      now: now(),
      leaseMs,
      ttlMs,
      done,
    });
  } catch (err) {
    log("speculative commit failed; claiming first", { error: errorText(err) });
  }
  if (committed) for (const w of work) run.ack(w.message, w.key, "processed");
  return committed;
}

/** 3b. Claim every key at once; ack duplicates, retry keys in flight, and run the claimed handlers concurrently. */
export async function claimAndRun<T>(
  run: BatchRun,
  leaders: Map<string, Work<T>>,
  runOnce: RunOnce<T>,
  failures: Failure[],
): Promise<{ claims: Map<string, ClaimResult>; done: Done<T>[] }> {
  const { idempotency: store, leaseMs, ttlMs, now, random, log } = run.settings;
  let claims: Map<string, ClaimResult>;
  try {
    claims = await store.claim({ keys: [...leaders.keys()], owner: run.owner, now: now(), leaseMs, ttlMs });
  } catch (err) {
    log("claim failed; retrying the batch", { error: errorText(err) });
    for (const w of leaders.values())
      run.retry(w.message, w.key, "store_error", run.delayFor(w.message), errorText(err));
    return { claims: new Map(), done: [] };
  }
  const done: Done<T>[] = [];
  const running: Promise<void>[] = [];
  for (const w of leaders.values()) {
    const claim = claims.get(w.key);
    if (claim === undefined) continue;
    if (claim.outcome === "completed") run.ack(w.message, w.key, "duplicate");
    else if (claim.outcome === "in_flight") {
      const waitSeconds = Math.max(1, Math.ceil((claim.leaseUntil - now()) / 1000));
      run.retry(w.message, w.key, "in_flight", waitSeconds + Math.floor(random() * 2));
    } else {
      running.push(
        runOnce(w).then((o) => {
          if (o.ok) done.push({ key: w.key, statements: o.statements, work: w });
          else failures.push(handlerFailure(w, o.error));
        }),
      );
    }
  }
  await Promise.all(running);
  return { claims, done };
}

/**
 * 4. Stores outside D1's transaction: commit the side effects first (a crash right after repeats them). Every
 * message's statements go in one batch; if that fails, message by message so one bad one fails alone.
 */
export async function commitSideEffects<T>(run: BatchRun, done: Done<T>[], failures: Failure[]): Promise<Done<T>[]> {
  const db = run.settings.sideEffects;
  const withStatements = done.filter((d) => d.statements.length > 0);
  if (run.settings.idempotency.commitsStatements || db === undefined || withStatements.length === 0) return done;
  try {
    await db.batch(withStatements.flatMap((d) => [...d.statements]));
    return done;
  } catch {
    const ok = new Set<Done<T>>(done.filter((d) => d.statements.length === 0));
    await Promise.all(
      withStatements.map(async (d) => {
        try {
          await db.batch([...d.statements]);
          ok.add(d);
        } catch (err) {
          failures.push(handlerFailure(d.work, errorText(err)));
        }
      }),
    );
    return done.filter((d) => ok.has(d));
  }
}

/** 5. Complete the successes and release the failures' claims, in one step; ack what completed. */
export async function settleClaims<T>(
  run: BatchRun,
  committable: Done<T>[],
  claims: Map<string, ClaimResult>,
  failures: Failure[],
): Promise<void> {
  const { idempotency: store, ttlMs, now, random, log } = run.settings;
  const failed = failures.flatMap((f) =>
    f.key !== undefined && claims.get(f.key)?.outcome === "claimed" ? [f.key] : [],
  );
  if (committable.length === 0 && failed.length === 0) return;
  let settled: Map<string, SettleResult>;
  try {
    const done = committable.map(({ key, statements }) => ({ key, statements }));
    settled = await store.settle({ owner: run.owner, now: now(), ttlMs, done, failed });
  } catch (err) {
    // Unknown whether the commit landed: retry. A redelivery finds COMPLETED (ack) or a lapsed lease (reprocess).
    log("settle failed; retrying its messages", { error: errorText(err) });
    for (const d of committable)
      run.retry(d.work.message, d.key, "store_error", run.delayFor(d.work.message), errorText(err));
    return;
  }
  for (const d of committable) {
    const s = settled.get(d.key);
    if (s === undefined) continue;
    if (s.ok) run.ack(d.work.message, d.key, "processed");
    else if (s.reason === "lease_lost")
      run.retry(d.work.message, d.key, "lease_lost", 1 + Math.floor(random() * 2), s.message);
    else failures.push(handlerFailure(d.work, s.message));
  }
}

/** 6. Failures: retry with backoff; return those that are permanent or out of attempts, to dead-letter. */
export function retryOrCondemn(run: BatchRun, failures: Failure[]): Failure[] {
  const dead: Failure[] = [];
  for (const f of failures) {
    if (run.isDecided(f.message)) continue;
    if (f.permanent || f.message.attempts >= run.settings.maxAttempts) {
      dead.push(f);
      continue;
    }
    if (f.reason === "handler_error")
      run.settings.log("handler failed; retrying", { id: f.message.id, key: f.key, error: f.error });
    run.retry(f.message, f.key, f.reason, run.delayFor(f.message), f.error);
  }
  return dead;
}

/** 8. Later copies of a key follow the first: it was processed, or it is being retried or dead-lettered. */
export function followLeaders<T>(run: BatchRun, followers: Work<T>[]): void {
  for (const w of followers) run.ack(w.message, w.key, "duplicate");
}
