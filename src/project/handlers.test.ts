import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workerKinds } from "./handlers.js";
import { loadWranglerConfig } from "./wrangler-config.js";

const repo = new URL("../../", import.meta.url).pathname;

/** A Worker folder with this config and entry module. */
function worker(config: Record<string, unknown>, entry?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bw-kinds-"));
  writeFileSync(join(dir, "wrangler.json"), JSON.stringify({ name: "w", main: "src/index.ts", ...config }));
  if (entry !== undefined) {
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "index.ts"), entry);
  }
  return join(dir, "wrangler.json");
}

const CONSUMER = { queues: { consumers: [{ queue: "jobs" }] } };

describe("workerKinds", () => {
  it("reads every handler of a Worker with fetch, queue and scheduled", () => {
    const config = loadWranglerConfig(join(repo, "test/fixtures/all-in-one/wrangler.jsonc"));
    expect(workerKinds(config)).toEqual(["http", "queue-consumer", "scheduled"]);
  });

  it("tells the shop's HTTP Worker from its consumer", () => {
    expect(workerKinds(loadWranglerConfig(join(repo, "examples/shop/api/wrangler.jsonc")))).toEqual(["http"]);
    expect(workerKinds(loadWranglerConfig(join(repo, "examples/shop/consumer/wrangler.jsonc")))).toEqual([
      "queue-consumer",
    ]);
  });

  it("counts a consumer whose default export also has fetch as HTTP too, whatever the config says", () => {
    const both = "export default { async fetch() { return new Response('ok') }, async queue(b) { b.ackAll() } };";
    expect(workerKinds(loadWranglerConfig(worker(CONSUMER, both)))).toEqual(["http", "queue-consumer"]);
    const cls = "export default class extends WorkerEntrypoint { fetch() {} queue() {} }";
    expect(workerKinds(loadWranglerConfig(worker(CONSUMER, cls)))).toEqual(["http", "queue-consumer"]);
  });

  it("takes an exported app value (a Hono app) as HTTP, and a cron-only object as scheduled only", () => {
    const hono = "import { Hono } from 'hono';\nconst app = new Hono();\nexport default app;";
    expect(workerKinds(loadWranglerConfig(worker({}, hono)))).toEqual(["http"]);
    const cron = "export default { async scheduled() {} };";
    expect(workerKinds(loadWranglerConfig(worker({ triggers: { crons: ["0 * * * *"] } }, cron)))).toEqual([
      "scheduled",
    ]);
  });

  it("falls back to the config when the entry cannot be read: no consumers means HTTP", () => {
    expect(workerKinds(loadWranglerConfig(worker(CONSUMER)))).toEqual(["queue-consumer"]);
    expect(workerKinds(loadWranglerConfig(worker({})))).toEqual(["http"]);
    const reexport = "export { default } from './app';";
    expect(workerKinds(loadWranglerConfig(worker({}, reexport)))).toEqual(["http"]);
  });
});
