import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflarePlatform } from "../../src/platform/cloudflare/index.js";
import { type ContractServer, startCloudflareApiServer } from "./cloudflare-api-server.js";

/** Contract test for `queues dlq replay` on Cloudflare: peek, pull, send a batch, ack (the Queues REST API). */

let api: ContractServer;

beforeAll(async () => {
  api = await startCloudflareApiServer();
});

afterAll(async () => {
  await api?.close();
});

function platform() {
  return createCloudflarePlatform({
    projectDir: new URL("../../examples/shop", import.meta.url).pathname,
    processEnv: {
      CLOUDFLARE_API_TOKEN: "dlq-test-token-123456",
      CLOUDFLARE_ACCOUNT_ID: api.state.accountId,
      CLOUDFLARE_API_BASE_URL: api.apiBaseUrl,
    },
  });
}

describe("dlq replay contract test", () => {
  it("previews without leasing, then moves every dead letter back once, acking only after the send", async () => {
    const source = api.addQueue("order-events");
    const dlq = api.addQueue("order-events-dlq");
    api.state.queueConsumers.set(dlq.queue_id, [{ type: "http_pull", settings: { max_retries: 100 } }]);
    const bodies = Array.from({ length: 130 }, (_, i) => ({ type: "order.created", id: `evt-${i}`, note: "café ✓" }));
    api.state.queueMessages.set(
      dlq.queue_id,
      bodies.map((b, i) => ({
        id: `dead-${i}`,
        body: JSON.stringify(b),
        attempts: 6,
        timestamp_ms: 1_700_000_000_000 + i,
        metadata: { "CF-Content-Type": "json" },
      })),
    );
    const cf = platform();
    const replay = cf.replayDeadLetters?.bind(cf);
    if (!replay) throw new Error("the Cloudflare platform has no replayDeadLetters");

    const preview = await replay("order-events", { dryRun: true, limit: 5 });
    expect(preview).toMatchObject({ queue: "order-events", deadLetterQueue: "order-events-dlq", dryRun: true });
    expect(preview.messages.map((m) => m.id)).toEqual(["dead-0", "dead-1", "dead-2", "dead-3", "dead-4"]);
    expect(preview.messages[0]?.preview).toBe('{"type":"order.created","id":"evt-0","note":"café ✓"}');
    expect(api.state.queueMessages.get(dlq.queue_id)?.every((m) => !m.lease)).toBe(true);

    const done = await replay("order-events");
    expect(done.messages).toHaveLength(130);
    expect(done.remaining).toBe(0);
    expect(api.state.queueMessages.get(dlq.queue_id)).toEqual([]);
    const resent = api.state.queueMessages.get(source.queue_id) ?? [];
    // The pull API sent each JSON body base64-encoded; it arrives byte-identical to what the producer sent.
    expect(resent.map((m) => m.body)).toEqual(bodies.map((b) => JSON.stringify(b)));
    expect(new Set(resent.map((m) => m.metadata["CF-Content-Type"]))).toEqual(new Set(["json"]));

    // Each batch was sent before its leases were acked.
    const ops = api.requests
      .filter((r) => /\/messages\/(pull|batch|ack|peek)$/.test(r.path))
      .map((r) => r.path.split("/").at(-1));
    expect(ops).toEqual(["peek", "pull", "batch", "ack", "pull", "batch", "ack", "pull"]);

    // Idempotent: a second run finds nothing to send.
    const again = await replay("order-events");
    expect(again.messages).toEqual([]);
    expect(api.state.queueMessages.get(source.queue_id)).toHaveLength(130);
  });

  it("refuses a queue without a dead_letter_queue", async () => {
    await expect(platform().replayDeadLetters?.("order-events-dlq")).rejects.toThrow(/no dead_letter_queue/);
  });

  it("says how to add the HTTP pull consumer the DLQ needs, before touching a message", async () => {
    const dlq = api.state.queues.get("order-events-dlq");
    if (!dlq) throw new Error("no DLQ");
    api.state.queueConsumers.set(dlq.queue_id, [{ type: "worker", settings: {} }]);
    api.state.queueMessages.set(dlq.queue_id, [
      { id: "d1", body: "{}", attempts: 3, timestamp_ms: 1, metadata: { "CF-Content-Type": "json" } },
    ]);
    const err = await platform()
      .replayDeadLetters("order-events")
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain("has no HTTP pull consumer");
    expect((err as { fix?: string }).fix).toContain("wrangler queues consumer http add order-events-dlq");
    expect(api.state.queueMessages.get(dlq.queue_id)?.[0]?.attempts).toBe(3);
  });

  it("sent and received only what Cloudflare's schema allows", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
  });
});
