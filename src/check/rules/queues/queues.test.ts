import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { createConfigAnalyzer } from "../../config/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createConfigAnalyzer()];

function consumer(fields: string): string {
  return `name = "worker"\ncompatibility_date = "2025-01-01"\n[[queues.consumers]]\nqueue = "orders"\n${fields}`;
}

describe("queues/no-dead-letter-queue", () => {
  it("flags a consumer without one, naming a DLQ built from the queue name", async () => {
    const dir = writeProject({ "wrangler.toml": consumer("max_retries = 5\nretry_delay = 10\n") });
    const found = await findingsOf(dir, analyzers, "queues/no-dead-letter-queue");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 4, severity: "warning" });
    expect(found[0]?.message).toContain("after 5 retries");
    expect(found[0]?.fix).toContain('dead_letter_queue = "orders-dlq"');
  });

  it("does not flag a consumer with a DLQ, in the env sections too", async () => {
    const dir = writeProject({
      "wrangler.jsonc": `{ "name": "w", "env": { "prod": { "queues": { "consumers": [{ "queue": "o", "dead_letter_queue": "o-dlq", "retry_delay": 5 }] } } } }`,
    });
    expect(await findingsOf(dir, analyzers)).toEqual([]);
  });
});

describe("queues/dead-letter-queue-is-self", () => {
  it("flags a DLQ equal to the queue, not a separate one", async () => {
    const self = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "orders"\nretry_delay = 5\n') });
    const found = await findingsOf(self, analyzers, "queues/dead-letter-queue-is-self");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5, severity: "error" });
    const other = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "orders-dlq"\nretry_delay = 5\n') });
    expect(await findingsOf(other, analyzers)).toEqual([]);
  });
});

describe("queues/no-retry-delay", () => {
  it("flags a consumer without retry_delay, not one with it", async () => {
    const none = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "dlq"\n') });
    expect(await findingsOf(none, analyzers, "queues/no-retry-delay")).toHaveLength(1);
    const zero = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "dlq"\nretry_delay = 0\n') });
    expect(await findingsOf(zero, analyzers, "queues/no-retry-delay")).toEqual([]);
  });
  it("leaves alone a consumer with max_retries = 0 (nothing is retried), not one with retries", async () => {
    const noRetry = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "dlq"\nmax_retries = 0\n') });
    expect(await findingsOf(noRetry, analyzers, "queues/no-retry-delay")).toEqual([]);
    const one = writeProject({ "wrangler.toml": consumer('dead_letter_queue = "dlq"\nmax_retries = 1\n') });
    expect(await findingsOf(one, analyzers, "queues/no-retry-delay")).toHaveLength(1);
  });
});

describe("queues/no-retry-delay reads the queue() handler", () => {
  const config = `main = "src/index.ts"\n${consumer('dead_letter_queue = "dlq"\nmax_retries = 5\n')}`;
  const withHandler = (body: string) => writeProject({ "wrangler.toml": config, "src/index.ts": body });
  const retryDelay = (dir: string) => findingsOf(dir, analyzers, "queues/no-retry-delay");

  it("leaves alone a handler that catches every error and passes delaySeconds to each retry", async () => {
    const dir = withHandler(`async function queue(batch: MessageBatch, env: Env) {
  async function worker() {
    for (const m of batch.messages) {
      try { await env.DB.prepare("SELECT 1").run(); m.ack(); }
      catch (err) { if (m.attempts < 5) m.retry({ delaySeconds: 30 * m.attempts }); else m.ack(); }
    }
  }
  await Promise.all([worker(), worker()]);
}
export default { fetch: () => new Response(), queue };
`);
    expect(await retryDelay(dir)).toEqual([]);
  });

  it("flags a retry without delaySeconds, an await outside try, and a catch that rethrows", async () => {
    const bare = withHandler(`export default {
  async queue(batch: MessageBatch, env: Env) {
    for (const m of batch.messages) {
      try { await env.DB.prepare("SELECT 1").run(); m.ack(); } catch { m.retry(); }
    }
  },
};
`);
    expect(await retryDelay(bare)).toHaveLength(1);
    const open = withHandler(`export default {
  async queue(batch: MessageBatch, env: Env) {
    await env.DB.prepare("SELECT 1").run();
    for (const m of batch.messages) m.retry({ delaySeconds: 10 });
  },
};
`);
    expect(await retryDelay(open)).toHaveLength(1);
    const rethrow = withHandler(`export default {
  async queue(batch: MessageBatch, env: Env) {
    try { await env.DB.prepare("SELECT 1").run(); } catch (e) { batch.retryAll({ delaySeconds: 5 }); throw e; }
  },
};
`);
    expect(await retryDelay(rethrow)).toHaveLength(1);
  });
});

describe("queues/v8-content-type-with-pull-consumer", () => {
  const pull = `{ "name": "puller", "queues": { "consumers": [{ "queue": "events", "type": "http_pull", "dead_letter_queue": "events-dlq", "retry_delay": 5 }] } }`;

  it("flags a producer whose default content type is v8 when another Worker pulls the queue", async () => {
    const dir = writeProject({
      "pull/wrangler.jsonc": pull,
      "api/wrangler.toml": `name = "api"\ncompatibility_date = "2024-01-15"\n[[queues.producers]]\nbinding = "EVENTS"\nqueue = "events"\n`,
    });
    const found = await findingsOf(dir, analyzers, "queues/v8-content-type-with-pull-consumer");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "api/wrangler.toml", line: 5, severity: "error" });
    expect(found[0]?.fix).toContain("queues_json_messages");
  });

  it("does not flag json producers, or v8 producers without a pull consumer", async () => {
    const flagged = writeProject({
      "pull/wrangler.jsonc": pull,
      "api/wrangler.toml": `name = "api"\ncompatibility_date = "2024-01-15"\ncompatibility_flags = ["queues_json_messages"]\n[[queues.producers]]\nbinding = "EVENTS"\nqueue = "events"\n`,
    });
    expect(await findingsOf(flagged, analyzers, "queues/v8-content-type-with-pull-consumer")).toEqual([]);
    const noPull = writeProject({
      "api/wrangler.toml": `name = "api"\ncompatibility_date = "2024-01-15"\n[[queues.producers]]\nbinding = "EVENTS"\nqueue = "events"\n`,
    });
    expect(await findingsOf(noPull, analyzers, "queues/v8-content-type-with-pull-consumer")).toEqual([]);
  });
});

describe("queues/v8-content-type-with-pull-consumer in code", () => {
  const pull = `{ "name": "puller", "queues": { "consumers": [{ "queue": "events", "type": "http_pull", "dead_letter_queue": "events-dlq", "retry_delay": 5 }] } }`;
  const api = `name = "api"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\n[[queues.producers]]\nbinding = "EVENTS"\nqueue = "events"\n[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\n`;

  it("flags send() with contentType v8 to a pulled queue only", async () => {
    const dir = writeProject({
      "pull/wrangler.jsonc": pull,
      "api/wrangler.toml": api,
      "api/src/index.ts": `export async function f(env: Env) {
  await env.EVENTS.send({ a: 1 }, { contentType: "v8" });
  await env.EVENTS.send({ a: 1 }, { contentType: "json" });
  await env.JOBS.send({ a: 1 }, { contentType: "v8" });
}
`,
    });
    const found = await findingsOf(
      dir,
      [createConfigAnalyzer(), createCodeAnalyzer()],
      "queues/v8-content-type-with-pull-consumer",
    );
    expect(found.map((f) => [f.file, f.line])).toEqual([["api/src/index.ts", 2]]);
  });
});
