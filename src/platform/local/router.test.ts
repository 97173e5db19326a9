import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWranglerConfig, type WranglerConfig } from "../../project/wrangler-config.js";
import { defaultWorkerOf } from "./router.js";

const dir = mkdtempSync(join(tmpdir(), "bw-router-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Worker folder with a wrangler.jsonc and an entry module, read back with the real config loader. */
function worker(name: string, entry: string, consumes: string[]): WranglerConfig {
  const root = join(dir, name);
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(join(root, "src", "index.ts"), entry);
  const queues = { consumers: consumes.map((queue) => ({ queue })) };
  writeFileSync(
    join(root, "wrangler.jsonc"),
    JSON.stringify({ name, main: "src/index.ts", compatibility_date: "2025-01-01", queues }),
  );
  return loadWranglerConfig(join(root, "wrangler.jsonc"));
}

describe("the default Worker", () => {
  const jobs = worker("jobs", "export default { async queue(batch) { batch.ackAll(); } };\n", ["work"]);
  const api = worker(
    "api",
    "export default {\n  async fetch() { return new Response('ok'); },\n  async queue(batch) { batch.ackAll(); },\n};\n",
    ["orders"],
  );
  const cron = worker("cron", "export default { async scheduled() {} };\n", []);

  it("is the first Worker that serves HTTP, though it also consumes a queue, not a queue-only Worker before it", () => {
    // Config order puts the queue-only Worker first; only api exports fetch.
    const configs = [jobs, api];
    const consumesQueues = () => true;
    expect(defaultWorkerOf({ deployed: ["jobs", "api"], configs, consumesQueues })).toBe("api");
    expect(defaultWorkerOf({ deployed: ["api", "jobs"], configs, consumesQueues })).toBe("api");
  });

  it("follows config order among HTTP Workers, falls back to the first deployed, and reads bindings without a config", () => {
    expect(defaultWorkerOf({ deployed: ["jobs"], configs: [jobs, api], consumesQueues: () => true })).toBe("jobs");
    expect(defaultWorkerOf({ deployed: ["cron", "jobs"], configs: [cron, jobs], consumesQueues: () => false })).toBe(
      "cron",
    );
    expect(defaultWorkerOf({ deployed: [], configs: [api], consumesQueues: () => false })).toBeUndefined();
    // No config on disk any more (a Worker uploaded earlier): a version that consumes no queue serves HTTP.
    const consumesQueues = (w: string) => w === "old-jobs";
    expect(defaultWorkerOf({ deployed: ["old-jobs", "old-api"], configs: [], consumesQueues })).toBe("old-api");
  });
});
