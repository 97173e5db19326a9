import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ConsumerSettings, type DeliveredMessage, QueueBroker, type QueueDeliveryResult } from "./queue-broker.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function broker(
  settings: ConsumerSettings,
  answer: (batch: DeliveredMessage[]) => QueueDeliveryResult | Promise<QueueDeliveryResult>,
  file?: string,
  versionId?: string,
) {
  const dir = mkdtempSync(join(tmpdir(), "bw-broker-"));
  dirs.push(dir);
  const seen: DeliveredMessage[][] = [];
  const b = new QueueBroker({
    file: file ?? join(dir, "q.sqlite"),
    tickMs: 5,
    consumerOf: (q) =>
      q === settings.queue ? { runtimeName: "c@1", settings, ...(versionId ? { versionId } : {}) } : undefined,
    dlqOf: (q) => (q === settings.queue ? settings.deadLetterQueue : undefined),
    deliver: async (_name, _q, messages) => {
      seen.push(messages);
      return answer(messages);
    },
  });
  return { b, seen, dir };
}

const msg = (id: string, data: unknown) => ({
  id,
  timestamp: 1,
  body: { type: "json" as const, data: JSON.stringify(data) },
});

async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("edge queue broker", () => {
  it("records the version whose consumer failed a dead letter", async () => {
    const { b } = broker(
      { queue: "q", maxBatchTimeout: 0, maxRetries: 0, deadLetterQueue: "dlq" },
      () => ({ outcome: "exception" }),
      undefined,
      "canary-version",
    );
    b.enqueue("q", [msg("m1", { n: 1 }), msg("m2", { n: 2 })]);
    b.start();
    await until(() => b.depth("dlq") === 2);
    // The window is half-open in milliseconds: a dead letter written in this very millisecond is inside [0, now + 1).
    expect(b.arrivalsByVersion("dlq", 0, Date.now() + 1)).toEqual({ "canary-version": 2 });
    expect(b.failedBy("dlq", "m1")).toBe("canary-version");
    expect(b.replay("dlq", "q", { dryRun: true }).map((m) => m.failedBy)).toEqual(["canary-version", "canary-version"]);
    expect(b.arrivalsByVersion("dlq", 0, 1)).toEqual({});
    await b.stop();
  });

  it("delivers batches and deletes acked messages", async () => {
    const { b, seen } = broker({ queue: "q", maxBatchSize: 2, maxBatchTimeout: 0 }, () => ({ outcome: "ok" }));
    b.enqueue("q", [msg("1", { n: 1 }), msg("2", { n: 2 }), msg("3", "three")]);
    b.enqueue("q", [msg("1", { n: 1 })]); // a redelivered batch is stored once
    b.start();
    await until(() => b.depth("q") === 0);
    expect(seen.flat().map((m) => m.body)).toEqual([{ n: 1 }, { n: 2 }, "three"]);
    expect(seen[0]?.length).toBe(2);
    await b.stop();
  });

  it("retries with attempts counted, then dead-letters after max_retries", async () => {
    const { b, seen } = broker(
      { queue: "q", maxBatchTimeout: 0, maxRetries: 2, retryDelay: 0, deadLetterQueue: "dlq" },
      (batch) => ({
        outcome: "ok",
        retryMessages: batch.filter((m) => (m.body as { poison?: boolean }).poison).map((m) => ({ msgId: m.id })),
      }),
    );
    b.enqueue("q", [msg("p", { poison: true }), msg("ok", { poison: false })]);
    b.start();
    await until(() => b.depth("dlq") === 1);
    expect(b.depth("q")).toBe(0);
    expect(
      seen
        .flat()
        .filter((m) => m.id === "p")
        .map((m) => m.attempts),
    ).toEqual([1, 2, 3]);
    expect(b.state("q")).toMatchObject({ backlog: 0, dlqDepth: 1, deadLetterQueue: "dlq", paused: false });
    // Half-open window: a dead letter written in this very millisecond is inside [0, now + 1).
    expect(b.arrivals("dlq", 0, Date.now() + 1)).toBe(1);
    await b.stop();
  });

  it("treats a thrown consumer as a retry of the whole batch", async () => {
    const { b, seen } = broker(
      { queue: "q", maxBatchSize: 2, maxBatchTimeout: 0, maxRetries: 1, retryDelay: 0, deadLetterQueue: "dlq" },
      () => {
        throw new Error("boom");
      },
    );
    b.enqueue("q", [msg("a", 1), msg("b", 2)]);
    b.start();
    await until(() => b.depth("dlq") === 2);
    // Both messages come back together, attempt 2, and then both go to the DLQ: none was acked by the throw.
    expect(seen.map((batch) => batch.map((m) => `${m.id}#${m.attempts}`))).toEqual([
      ["a#1", "b#1"],
      ["a#2", "b#2"],
    ]);
    expect(b.depth("q")).toBe(0);
    await b.stop();
  });

  it("holds messages while paused, keeps them across a restart, and delivers on resume", async () => {
    const first = broker({ queue: "q", maxBatchTimeout: 0 }, () => ({ outcome: "ok" }));
    first.b.pause("q");
    first.b.enqueue("q", [msg("1", 1), msg("2", 2)]);
    first.b.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(first.seen).toEqual([]);
    await first.b.stop();
    const file = join(first.dir, "q.sqlite");
    const second = broker({ queue: "q", maxBatchTimeout: 0 }, () => ({ outcome: "ok" }), file);
    expect(second.b.state("q")).toMatchObject({ paused: true, backlog: 2 });
    second.b.start();
    second.b.resume("q");
    await until(() => second.b.depth("q") === 0);
    expect(second.seen.flat().map((m) => m.id)).toEqual(["1", "2"]);
    await second.b.stop();
  });

  it("waits for max_batch_timeout before sending a partial batch", async () => {
    const { b, seen } = broker({ queue: "q", maxBatchSize: 10, maxBatchTimeout: 0.3 }, () => ({ outcome: "ok" }));
    b.enqueue("q", [msg("1", 1)]);
    b.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    await until(() => seen.length === 1);
    await b.stop();
  });

  it("replays dead letters once: same ids, removed from the DLQ, a second run sends nothing", async () => {
    let healthy = false;
    const settings = { queue: "q", maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 0, deadLetterQueue: "q-dlq" };
    const { b, seen } = broker(settings, () => (healthy ? { outcome: "ok" } : { outcome: "exception" }));
    b.enqueue("q", [msg("a", { n: 1 }), msg("b", "two")]);
    b.start();
    await until(() => b.depth("q-dlq") === 2);
    const preview = b.replay("q-dlq", "q", { dryRun: true });
    expect(preview.map((m) => [m.id, m.replayId, m.preview])).toEqual([
      ["a", "a", '{"n":1}'],
      ["b", "b", '"two"'],
    ]);
    expect(b.depth("q-dlq")).toBe(2);
    b.pause("q");
    expect(b.replay("q-dlq", "q").map((m) => m.id)).toEqual(["a", "b"]);
    expect(b.replay("q-dlq", "q")).toEqual([]);
    expect([b.depth("q"), b.depth("q-dlq")]).toEqual([2, 0]);
    healthy = true;
    const before = seen.length;
    b.resume("q");
    await until(() => b.depth("q") === 0);
    expect(
      seen
        .slice(before)
        .flat()
        .map((m) => m.id)
        .sort(),
    ).toEqual(["a", "b"]);
    await b.stop();
  });
});
