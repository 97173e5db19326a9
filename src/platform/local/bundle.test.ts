import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadWranglerConfig } from "../../project/wrangler-config.js";
import {
  bindingsOf,
  DO_MIGRATION_TAG_ANNOTATION,
  entrySource,
  migrationTagAnnotation,
  ROUTE_HEADER,
  readDevVars,
} from "./bundle.js";

const dir = mkdtempSync(join(tmpdir(), "bw-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("version bindings", () => {
  it("reads .dev.vars like wrangler dev, preferring the environment's file", () => {
    writeFileSync(join(dir, ".dev.vars"), '# local secrets\nAPI_KEY="abc"\nexport MODE=dev\nEMPTY=\n');
    writeFileSync(join(dir, ".dev.vars.staging"), "API_KEY=staging\n");
    expect(readDevVars(dir)).toEqual({ API_KEY: "abc", MODE: "dev", EMPTY: "" });
    expect(readDevVars(dir, "staging")).toEqual({ API_KEY: "staging" });
    expect(readDevVars(join(dir, "missing"))).toEqual({});
  });

  it("freezes ids, falling back to names the way wrangler dev does", () => {
    const path = join(dir, "wrangler.jsonc");
    writeFileSync(
      path,
      JSON.stringify({
        name: "w",
        main: "src/index.ts",
        vars: { LEVEL: "info" },
        version_metadata: { binding: "META" },
        d1_databases: [{ binding: "DB", database_name: "shop" }],
        kv_namespaces: [{ binding: "CONFIG" }],
        r2_buckets: [{ binding: "RECEIPTS", bucket_name: "receipts" }],
        durable_objects: { bindings: [{ name: "CARTS", class_name: "Cart" }] },
        migrations: [{ tag: "v1", new_sqlite_classes: ["Cart"] }],
        queues: { consumers: [{ queue: "jobs", max_retries: 2, dead_letter_queue: "jobs-dlq" }] },
      }),
    );
    const config = loadWranglerConfig(path);
    const b = bindingsOf(config, { EXTRA: "1" });
    expect(b.d1).toEqual([{ binding: "DB", id: "shop", name: "shop" }]);
    expect(b.kv).toEqual([{ binding: "CONFIG", id: "CONFIG" }]);
    expect(b.r2).toEqual([{ binding: "RECEIPTS", bucket: "receipts" }]);
    expect(b.durableObjects).toEqual([{ binding: "CARTS", className: "Cart", sqlite: true }]);
    expect(b.consumers).toEqual([{ queue: "jobs", maxRetries: 2, deadLetterQueue: "jobs-dlq" }]);
    expect(b.vars).toEqual({ LEVEL: "info", EXTRA: "1" });
    expect(b.versionMetadata).toBe("META");
  });

  it("records the last Durable Object migration tag, and nothing without migrations", () => {
    expect(
      migrationTagAnnotation({
        migrations: [
          { tag: "v1", new_sqlite_classes: ["Cart"] },
          { tag: "v2", deleted_classes: ["Old"] },
        ],
      }),
    ).toEqual({ [DO_MIGRATION_TAG_ANNOTATION]: "v2" });
    expect(migrationTagAnnotation({ migrations: [] })).toEqual({});
  });
});

describe("the entry in front of each version", () => {
  it("hands the router the route label of the data point blastwall/telemetry writes", async () => {
    // What recordRequest writes for a 404 on "orders/:id" (its workerd test pins the columns to TELEMETRY_COLUMNS).
    const point = { indexes: ["w"], blobs: ["v1", "4xx", "", "orders/:id"], doubles: [404, 5, 3] };
    const worker = join(dir, "entry-worker");
    writeFileSync(
      `${worker}.mjs`,
      `export default { fetch(req, env) { env.AE.writeDataPoint(${JSON.stringify(point)}); return new Response("x"); } };`,
    );
    writeFileSync(`${worker}-entry.mjs`, entrySource("entry-worker.mjs", [], ["AE"]));
    const entry = (await import(pathToFileURL(`${worker}-entry.mjs`).href)) as {
      default: { fetch(req: Request, env: object, ctx: object): Promise<Response> };
    };
    const res = await entry.default.fetch(new Request("http://w/orders/1"), {}, {});
    expect(res.headers.get(ROUTE_HEADER)).toBe(encodeURIComponent("orders/:id"));
  });
});
