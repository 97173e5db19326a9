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
    const bodies = Array.from({ length: 130 }, (_, i) => ({ type: "order.created", id: `evt-${i}` }));
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
    expect(preview.messages[0]?.preview).toBe('{"type":"order.created","id":"evt-0"}');
    expect(api.state.queueMessages.get(dlq.queue_id)?.every((m) => !m.lease)).toBe(true);

    const done = await replay("order-events");
    expect(done.messages).toHaveLength(130);
    expect(done.remaining).toBe(0);
    expect(api.state.queueMessages.get(dlq.queue_id)).toEqual([]);
    const resent = api.state.queueMessages.get(source.queue_id) ?? [];
    expect(resent.map((m) => JSON.parse(m.body) as unknown)).toEqual(bodies);
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
});
