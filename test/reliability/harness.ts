// Drives the reliability run: bundles src/runtime/queues/reliability/test-worker.ts (examples/shop's consumer
// behind fault injection), starts it on Miniflare with the queue settings of examples/shop/consumer/wrangler.jsonc,
// produces order events through the real local queue broker, waits until every message is acked or dead-lettered,
// then reads the outcome back from D1.
import { seededRandom } from "../../src/core/seeded-random.js";
import { loadWranglerConfig } from "../../src/project/wrangler-config.js";
import { repoPath, startHarness } from "./miniflare.js";

export interface ReliabilityOptions {
  store: "d1" | "do" | "kv";
  /** false runs the shop consumer claim-first instead of its speculative default (D1 store only). */
  speculative?: boolean;
  /** Order events produced; a few percent more are poison (invalid, or an unknown v3). */
  events: number;
  /** Share of events delivered twice. */
  duplicateRate?: number;
  /** Percent of events per injected fault: handler throws, worker dies before / after the side effect. */
  faults?: [throwing: number, before: number, after: number];
  /** Share of events that are poison: half fail validation, half are an unknown v3. */
  poisonRate?: number;
  /** Overrides of the shop's consumer settings so the run fits CI; the rest comes from its wrangler.jsonc. */
  maxBatchSize?: number;
  retryDelay?: number;
  leaseMs?: number;
  timeoutMs?: number;
}

export interface ReliabilityReport {
  store: string;
  speculative: boolean;
  events: number;
  messagesSent: number;
  duplicateDeliveries: number;
  poison: {
    invalid: number;
    v3: number;
    inDlqWithOriginalBody: number;
    /** Invalid payloads dead-lettered by the consumer (never retried by it), with their validation issues. */
    invalidWithIssues: number;
    /** v3 events dead-lettered as newer_version on their last allowed attempt. */
    v3RetriedThenDeadLettered: number;
  };
  faultsFired: { throw: number; before: number; after: number };
  deaths: number;
  lost: number;
  validInDlq: number;
  appliedTwiceOrMore: number;
  /** Events applied more than once although no crash window explains the repeat. */
  repeatsFromDuplicateDeliveries: number;
  repeatsFromCrashWindows: number;
  duplicateRate: number;
  acked: number;
  duplicatesAcked: number;
  ordersConfirmed: number;
  wallMs: number;
}

interface Send {
  body: unknown;
  contentType: "json";
  delaySeconds?: number;
}

interface Totals {
  acked: number;
  deaths: number;
  duplicates: number;
  faultsFired: ReliabilityReport["faultsFired"];
}

export async function reliabilityRun({
  store,
  speculative = true,
  events,
  duplicateRate = 0.2,
  faults = [10, 10, 10],
  poisonRate = 0.02,
  maxBatchSize = 100,
  retryDelay = 1,
  leaseMs = 1000,
  timeoutMs = 120_000,
}: ReliabilityOptions): Promise<ReliabilityReport> {
  const started = Date.now();
  const shop = loadWranglerConfig(repoPath("examples/shop/consumer/wrangler.jsonc"));
  const consumer = shop.queues.consumers.find((c) => c.queue === "order-events");
  if (!consumer?.dead_letter_queue || consumer.max_retries === undefined) {
    throw new Error("examples/shop/consumer/wrangler.jsonc must consume order-events with max_retries and a DLQ");
  }
  const mf = await startHarness({
    compatibilityDate: shop.compatibility_date ?? "2026-04-01",
    queueProducers: { ORDER_EVENTS: "order-events", ORDER_EVENTS_DLQ: consumer.dead_letter_queue },
    queueConsumers: {
      "order-events": {
        maxBatchSize,
        maxBatchTimeout: 0.05,
        maxRetries: consumer.max_retries,
        retryDelay,
        deadLetterQueue: consumer.dead_letter_queue,
      },
      [consumer.dead_letter_queue]: { maxBatchSize: 100, maxBatchTimeout: 0.05 },
    },
    bindings: {
      STORE: store,
      FAULTS: faults.join(","),
      LEASE_MS: String(leaseMs),
      SPECULATIVE: speculative ? "1" : "0",
    },
  });
  try {
    const db = await mf.getD1Database("DB");
    await db.batch([
      db.prepare("CREATE TABLE harness_applications (event_id TEXT NOT NULL)"),
      db.prepare("CREATE INDEX harness_applications_event ON harness_applications (event_id)"),
      db.prepare("CREATE TABLE harness_crash_windows (event_id TEXT NOT NULL)"),
      db.prepare("CREATE TABLE harness_dlq (message_id TEXT NOT NULL, body TEXT NOT NULL)"),
    ]);

    // Orders to confirm, and the events announcing them: v1 and v2 producers mixed, some poison.
    const random = seededRandom(42);
    const valid: { id: string; orderId: string; body: unknown }[] = [];
    const poison: { kind: "invalid" | "v3"; body: unknown }[] = [];
    const time = new Date().toISOString();
    for (let i = 0; i < events; i++) {
      const id = `evt-${i}`;
      const orderId = `ord-${i}`;
      const base = { type: "order.created", id, source: "shop-api", time };
      const v1 = { ...base, v: 1, data: { orderId, userId: `u${i % 97}`, totalCents: 100 + i } };
      const v2 = { ...base, v: 2, data: { orderId, userId: `u${i % 97}`, total: { cents: 100 + i, currency: "EUR" } } };
      valid.push({ id, orderId, body: random() < 0.5 ? v1 : v2 });
    }
    const poisonCount = Math.round(events * poisonRate);
    for (let i = 0; i < poisonCount; i++) {
      const base = { type: "order.created", id: `poison-${i}`, source: "shop-api", time };
      poison.push(
        i % 2 === 0
          ? { kind: "invalid", body: { ...base, v: 1, data: { orderId: `ord-p${i}`, userId: "u", totalCents: -1 } } }
          : { kind: "v3", body: { ...base, v: 3, data: { orderId: `ord-p${i}`, lines: [] } } },
      );
    }
    for (let i = 0; i < valid.length; i += 500) {
      const rows = valid.slice(i, i + 500);
      await db
        .prepare(`INSERT INTO orders (id, user_id, total_cents) SELECT value, 'u', 100 FROM json_each(?)`)
        .bind(JSON.stringify(rows.map((r) => r.orderId)))
        .run();
    }

    const sends: Send[] = [];
    let duplicateDeliveries = 0;
    for (const e of valid) {
      sends.push({ body: e.body, contentType: "json" });
      if (random() < duplicateRate) {
        duplicateDeliveries++;
        // Half the copies arrive right behind the original, half a few seconds later.
        sends.push({
          body: e.body,
          contentType: "json",
          ...(random() < 0.5 ? {} : { delaySeconds: 1 + Math.floor(random() * 3) }),
        });
      }
    }
    for (const p of poison) sends.push({ body: p.body, contentType: "json" });
    // Shuffle so duplicates and poison spread over batches.
    for (let i = sends.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sends[i], sends[j]] = [sends[j] as Send, sends[i] as Send];
    }
    const producer = await mf.getQueueProducer("ORDER_EVENTS");
    for (let i = 0; i < sends.length; i += 100) await producer.sendBatch(sends.slice(i, i + 100));

    // Done when every message sent was acked by a surviving invocation or moved to the DLQ by the platform.
    const stats = async () => (await (await mf.dispatchFetch("http://harness/stats")).json()) as Totals;
    const platformDlq = async () =>
      (
        await db
          .prepare("SELECT count(*) AS n FROM harness_dlq WHERE json_extract(body, '$.error') IS NULL")
          .first<{ n: number }>()
      )?.n ?? 0;
    let totals = await stats();
    while (totals.acked + (await platformDlq()) < sends.length) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`reliability run (${store}) timed out: ${JSON.stringify(totals)} of ${sends.length} sent`);
      }
      await new Promise((r) => setTimeout(r, 250));
      totals = await stats();
    }
    // Let the DLQ consumer catch up with the last dead letters.
    const expectedLetters = poison.length;
    while (
      ((await db.prepare("SELECT count(*) AS n FROM harness_dlq").first<{ n: number }>())?.n ?? 0) < expectedLetters &&
      Date.now() - started < timeoutMs
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }

    const applied = new Map<string, number>();
    for (const row of (
      await db
        .prepare("SELECT event_id, count(*) AS n FROM harness_applications GROUP BY event_id")
        .all<{ event_id: string; n: number }>()
    ).results) {
      applied.set(row.event_id, row.n);
    }
    const windows = new Map<string, number>();
    for (const row of (
      await db
        .prepare("SELECT event_id, count(*) AS n FROM harness_crash_windows GROUP BY event_id")
        .all<{ event_id: string; n: number }>()
    ).results) {
      windows.set(row.event_id, row.n);
    }
    const letters = (await db.prepare("SELECT body FROM harness_dlq").all<{ body: string }>()).results.map(
      (r) =>
        JSON.parse(r.body) as {
          original?: unknown;
          id?: string;
          attempts?: number;
          error?: { reason?: string; issues?: unknown[] };
        },
    );
    const maxAttempts = (consumer.max_retries ?? 0) + 1;
    // A batch killed by another message's injected death redelivers an invalid one too, so attempts may exceed 1.
    const invalidWithIssues = letters.filter(
      (l) => l.error?.reason === "invalid" && (l.error.issues?.length ?? 0) > 0,
    ).length;
    const v3Late = letters.filter(
      (l) =>
        l.error?.reason === "newer_version" && l.attempts === maxAttempts && (l.original as { v?: number })?.v === 3,
    ).length;
    const letterIds = new Set(letters.map((l) => ((l.original ?? l) as { id?: string }).id));
    const originals = new Set(letters.map((l) => JSON.stringify(l.original)));
    const confirmed =
      (await db.prepare("SELECT count(*) AS n FROM orders WHERE status = 'confirmed'").first<{ n: number }>())?.n ?? 0;

    let lost = 0;
    let validInDlq = 0;
    let twice = 0;
    let fromDuplicates = 0;
    let fromCrashes = 0;
    for (const e of valid) {
      const n = applied.get(e.id) ?? 0;
      if (letterIds.has(e.id)) validInDlq++;
      if (n === 0 && !letterIds.has(e.id)) lost++;
      if (n > 1) {
        twice++;
        const explained = Math.min(n - 1, windows.get(e.id) ?? 0);
        fromCrashes += explained;
        fromDuplicates += n - 1 - explained;
      }
    }
    return {
      store,
      speculative: store === "d1" && speculative,
      events,
      messagesSent: sends.length,
      duplicateDeliveries,
      poison: {
        invalid: poison.filter((p) => p.kind === "invalid").length,
        v3: poison.filter((p) => p.kind === "v3").length,
        inDlqWithOriginalBody: poison.filter((p) => originals.has(JSON.stringify(p.body))).length,
        invalidWithIssues,
        v3RetriedThenDeadLettered: v3Late,
      },
      faultsFired: totals.faultsFired,
      deaths: totals.deaths,
      lost,
      validInDlq,
      appliedTwiceOrMore: twice,
      repeatsFromDuplicateDeliveries: fromDuplicates,
      repeatsFromCrashWindows: fromCrashes,
      duplicateRate: twice / valid.length,
      acked: totals.acked,
      duplicatesAcked: totals.duplicates,
      ordersConfirmed: confirmed,
      wallMs: Date.now() - started,
    };
  } finally {
    await mf.dispose();
  }
}
