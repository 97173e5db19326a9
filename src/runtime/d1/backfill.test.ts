import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { BackfillConflictError, backfillProgress, runBackfill } from "./backfill.js";
import { sql } from "./sql.js";

const db = (): D1Database => env.D1_DB;

async function seed(n: number, keyType: "INTEGER" | "TEXT" = "INTEGER"): Promise<void> {
  await db().exec("DROP TABLE IF EXISTS items");
  await db().exec("DROP TABLE IF EXISTS touches");
  await db().exec("DROP TABLE IF EXISTS _blastwall_backfills");
  await db().exec(`CREATE TABLE items (id ${keyType} PRIMARY KEY, price INTEGER NOT NULL, price_band TEXT)`);
  // Counts every write to price_band per row: the proof that no row is touched twice.
  await db().exec("CREATE TABLE touches (id PRIMARY KEY, n INTEGER NOT NULL)");
  await db().exec(
    "CREATE TRIGGER items_touch AFTER UPDATE OF price_band ON items BEGIN INSERT INTO touches (id, n) VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1; END",
  );
  const key = keyType === "TEXT" ? "printf('k%05d', i)" : "i";
  await db().exec(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) INSERT INTO items (id, price) SELECT ${key}, i % 500 FROM s`,
  );
}

const band = {
  name: "items.price_band",
  table: "items",
  batchSize: 100,
  update: ({ range }: { range: ReturnType<typeof sql> }) =>
    sql`UPDATE items SET price_band = CASE WHEN price < 100 THEN 'low' ELSE 'high' END WHERE ${range} AND price_band IS NULL`,
};
const fast = { rowsPerSecond: Number.POSITIVE_INFINITY };

async function touchStats(): Promise<{ rows: number; max: number; missing: number }> {
  const t = await db().prepare("SELECT count(*) AS rows, coalesce(max(n), 0) AS max FROM touches").first<{
    rows: number;
    max: number;
  }>();
  const m = await db().prepare("SELECT count(*) AS n FROM items WHERE price_band IS NULL").first<{ n: number }>();
  return { rows: t?.rows ?? 0, max: t?.max ?? 0, missing: m?.n ?? -1 };
}

describe("runBackfill against real D1", () => {
  beforeEach(async () => {
    await seed(1050);
  });

  it("walks the table in keyset batches and reports progress as rows done out of the total", async () => {
    const seen: [number, number][] = [];
    const report = await runBackfill(db(), band, {
      ...fast,
      onProgress: (p) => {
        seen.push([p.rowsDone, p.estimatedTotal]);
      },
    });
    expect(report).toMatchObject({ stoppedBy: "done", status: "done", rowsDone: 1050, batches: 11 });
    expect(report.rowsChanged).toBeGreaterThanOrEqual(1050); // D1 counts the trigger's writes too
    expect(seen.slice(0, 2)).toEqual([
      [100, 1050],
      [200, 1050],
    ]);
    expect(seen.at(-2)).toEqual([1050, 1050]);
    expect(await touchStats()).toEqual({ rows: 1050, max: 1, missing: 0 });
  });

  it("does nothing when re-run after finishing", async () => {
    await runBackfill(db(), band, fast);
    await db().exec("DELETE FROM touches");
    const again = await runBackfill(db(), band, fast);
    expect(again).toMatchObject({ stoppedBy: "already-done", batchesThisRun: 0, rowsDone: 1050 });
    expect((await touchStats()).rows).toBe(0);
  });

  it("resumes after an abort between batches and touches no row twice", async () => {
    const ac = new AbortController();
    const first = await runBackfill(db(), band, {
      ...fast,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.batches === 4) ac.abort();
      },
    });
    expect(first).toMatchObject({ stoppedBy: "aborted", rowsDone: 400, status: "running" });
    expect(await backfillProgress(db(), band.name)).toMatchObject({ rowsDone: 400, cursor: 400, batches: 4 });
    const second = await runBackfill(db(), band, fast);
    expect(second).toMatchObject({ stoppedBy: "done", rowsDone: 1050, batchesThisRun: 7 });
    expect(await touchStats()).toEqual({ rows: 1050, max: 1, missing: 0 });
  });

  it("rolls a failed batch back whole, cursor included", async () => {
    let calls = 0;
    const flaky = {
      ...band,
      update: (b: Parameters<typeof band.update>[0]) => {
        calls++;
        // Batch 3 writes its rows, then a statement fails: D1 must undo the writes and the cursor advance.
        return calls === 3 ? [band.update(b), sql`INSERT INTO no_such_table VALUES (${1})`] : [band.update(b)];
      },
    };
    await expect(runBackfill(db(), flaky, fast)).rejects.toThrow(/no_such_table/);
    expect(await backfillProgress(db(), band.name)).toMatchObject({ rowsDone: 200, cursor: 200 });
    expect(await touchStats()).toMatchObject({ rows: 200, max: 1 });
    await runBackfill(db(), band, fast);
    expect(await touchStats()).toEqual({ rows: 1050, max: 1, missing: 0 });
  });

  it("refuses a batch when another runner moved the cursor, rolling it back", async () => {
    let raced = false;
    const racing = {
      ...band,
      update: async (b: Parameters<typeof band.update>[0]) => {
        if (!raced) {
          raced = true;
          // A second runner takes the same batch while this one is between reading its page and committing.
          await runBackfill(db(), band, { ...fast, maxBatches: 1 });
        }
        return band.update(b);
      },
    };
    await expect(runBackfill(db(), racing, fast)).rejects.toThrow(BackfillConflictError);
    expect(await backfillProgress(db(), band.name)).toMatchObject({ rowsDone: 100, batches: 1, cursor: 100 });
    await runBackfill(db(), band, fast);
    expect(await touchStats()).toEqual({ rows: 1050, max: 1, missing: 0 });
  });

  it("stops at maxBatches and at the time budget, and paces to rowsPerSecond", async () => {
    const r1 = await runBackfill(db(), band, { ...fast, maxBatches: 2 });
    expect(r1).toMatchObject({ stoppedBy: "max-batches", rowsDone: 200 });
    let clock = 0;
    const waits: number[] = [];
    const r2 = await runBackfill(db(), band, {
      rowsPerSecond: 1000,
      timeBudgetMs: 350,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    // 100 rows at 1,000 rows/s = 100 ms per batch on the fake clock: batches start at 0, 100, 200, 300.
    expect(waits).toEqual([100, 100, 100, 100]);
    expect(r2).toMatchObject({ stoppedBy: "time-budget", batchesThisRun: 4, rowsDone: 600 });
  });

  it("pages TEXT keys too", async () => {
    await seed(250, "TEXT");
    const report = await runBackfill(db(), band, fast);
    expect(report).toMatchObject({ stoppedBy: "done", rowsDone: 250, cursor: "k00250" });
    expect(await touchStats()).toEqual({ rows: 250, max: 1, missing: 0 });
  });

  it("refuses bad identifiers and sizes", async () => {
    await expect(runBackfill(db(), { ...band, table: "items; DROP TABLE items" }, fast)).rejects.toThrow(/identifier/);
    await expect(runBackfill(db(), { ...band, batchSize: 0 }, fast)).rejects.toThrow(/batchSize/);
  });
});
