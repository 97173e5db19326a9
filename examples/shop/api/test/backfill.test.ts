import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { backfills, orderItemCountBackfill, runOrderItemCountBackfill, scheduledBackfill } from "../src/backfill.js";

const ROWS = 100_000;
const fast = { rowsPerSecond: Number.POSITIVE_INFINITY, timeBudgetMs: Number.POSITIVE_INFINITY };

async function one<T>(query: string): Promise<T> {
  const row = await env.DB.prepare(query).first<T>();
  if (row === null) throw new Error(`no row: ${query}`);
  return row;
}

/** Per-row write counts kept by a trigger: the proof that the backfill touches no row twice. */
async function touches(): Promise<{ rows: number; max: number }> {
  return one("SELECT count(*) AS rows, coalesce(max(n), 0) AS max FROM test_touches");
}

beforeAll(async () => {
  // 100,000 orders from before migration 0004 (item_count NULL); every 10th has two lines.
  await env.DB.exec(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${ROWS}) INSERT INTO orders (id, user_id, total_cents) SELECT printf('legacy-%06d', i), 'u' || (i % 97), i FROM s`,
  );
  await env.DB.exec(
    `WITH RECURSIVE s(i) AS (SELECT 10 UNION ALL SELECT i + 10 FROM s WHERE i < ${ROWS}) INSERT INTO order_items (order_id, sku, quantity, price_cents) SELECT printf('legacy-%06d', i), 'tea', i % 5 + 1, 450 FROM s UNION ALL SELECT printf('legacy-%06d', i), 'mug', 2, 900 FROM s`,
  );
  // An order placed by the new code, which writes item_count itself: the backfill must leave it alone.
  await env.DB.exec("INSERT INTO orders (id, user_id, total_cents, item_count) VALUES ('0new-order', 'ann', 100, 7)");
  await env.DB.exec("CREATE TABLE test_touches (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  await env.DB.exec(
    "CREATE TRIGGER test_touch AFTER UPDATE OF item_count ON orders BEGIN INSERT INTO test_touches (id, n) VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1; END",
  );
});

describe("orders.item_count backfill over 100,000 rows", () => {
  it("is killed mid-way, resumes, and touches no row twice", async () => {
    const total = ROWS + 1;
    // Run 1: killed between batches (the abort lands after batch 37 commits).
    const kill = new AbortController();
    const progress: string[] = [];
    const first = await runOrderItemCountBackfill(env, {
      ...fast,
      signal: kill.signal,
      onProgress: (p) => {
        progress.push(`${p.rowsDone}/${p.estimatedTotal}`);
        if (p.batches === 37) kill.abort();
      },
    });
    expect(first).toMatchObject({ stoppedBy: "aborted", status: "running", rowsDone: 37_000, batches: 37 });
    expect(progress.slice(0, 2)).toEqual([`1000/${total}`, `2000/${total}`]);
    expect(await touches()).toEqual({ rows: 36_999, max: 1 }); // 37 batches of 1,000, less the new-code order

    // Run 2: dies inside batch 41 (a statement fails after the UPDATE ran): D1 rolls the whole batch back.
    let calls = 0;
    const crashing = await import("blastwall/d1").then(({ runBackfill, sql }) =>
      runBackfill(
        env.DB,
        {
          ...orderItemCountBackfill,
          update: async (b) => {
            const write = await orderItemCountBackfill.update(b);
            calls++;
            return calls === 4 ? [write, sql`INSERT INTO no_such_table VALUES (${1})`].flat() : write;
          },
        },
        fast,
      ).catch((e: unknown) => e),
    );
    expect(String(crashing)).toMatch(/no_such_table/);
    expect(await touches()).toEqual({ rows: 39_999, max: 1 });

    // Run 3: resumes from the cursor in D1 and finishes.
    const last = await runOrderItemCountBackfill(env, fast);
    expect(last).toMatchObject({ stoppedBy: "done", status: "done", rowsDone: total, batches: 101 });
    expect(last.batchesThisRun).toBe(61);

    expect(await touches()).toEqual({ rows: ROWS, max: 1 });
    expect(await one("SELECT count(*) AS n FROM orders WHERE item_count IS NULL")).toEqual({ n: 0 });
    expect(await one("SELECT n FROM test_touches WHERE id = '0new-order'").catch(() => null)).toBeNull();
    expect(await one("SELECT item_count FROM orders WHERE id = '0new-order'")).toEqual({ item_count: 7 });
    // Values are right: order 10 has tea ×1 and mug ×2; order 11 has no lines.
    expect(await one("SELECT item_count FROM orders WHERE id = 'legacy-000010'")).toEqual({ item_count: 3 });
    expect(await one("SELECT item_count FROM orders WHERE id = 'legacy-000011'")).toEqual({ item_count: 0 });
    expect(await one("SELECT sum(item_count) AS s FROM orders WHERE id LIKE 'legacy-%'")).toEqual({
      s: 10_000 * 2 + [...Array(10_000)].reduce((s: number, _, k) => s + (((k + 1) * 10) % 5) + 1, 0),
    });

    // Re-running a finished backfill does nothing.
    const again = await runOrderItemCountBackfill(env, fast);
    expect(again).toMatchObject({ stoppedBy: "already-done", batchesThisRun: 0 });
    expect(await touches()).toEqual({ rows: ROWS, max: 1 });
  });

  it("exposes progress and slices on an admin route that is off without a token", async () => {
    const off = await backfills.request("/orders-item-count", {}, env);
    expect(off.status).toBe(404);
    const adminEnv = { ...env, ADMIN_TOKEN: "s3cret" };
    const wrong = await backfills.request(
      "/orders-item-count",
      { headers: { authorization: "Bearer nope" } },
      adminEnv,
    );
    expect(wrong.status).toBe(401);
    const auth = { headers: { authorization: "Bearer s3cret" } };
    const status = await backfills.request("/orders-item-count", auth, adminEnv);
    expect(await status.json()).toMatchObject({
      progress: { name: "orders.item_count", status: "done", rowsDone: ROWS + 1, estimatedTotal: ROWS + 1 },
    });
    const run = await backfills.request("/orders-item-count", { ...auth, method: "POST" }, adminEnv);
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({ done: true, report: { stoppedBy: "already-done" } });
  });

  it("does nothing on a cron tick once done", async () => {
    const before = await touches();
    const ctx = createExecutionContext();
    await scheduledBackfill(createScheduledController({ cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await touches()).toEqual(before);
  });
});
