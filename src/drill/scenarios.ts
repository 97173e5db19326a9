import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFaultyVariant } from "../project/fault.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import { type DrillContext, incidentFor, type Scenario } from "./drill.js";
import { ordersIntact, type PlacedOrder, placeOrder, placeOrders, sample } from "./probes.js";

function databaseOf(config: WranglerConfig): { name: string; migrationsDir: string } {
  const db = config.d1_databases[0];
  if (!db) throw new Error(`${config.name ?? config.path} has no D1 database to drill`);
  return {
    name: db.database_name ?? db.binding,
    migrationsDir: resolve(dirname(config.path), db.migrations_dir ?? "migrations"),
  };
}

/** As a release would: `d1 migrations apply` records a restore point before each migration. */
async function applyMigrations(ctx: DrillContext, kind: "setup" | "fault" = "setup", name = "apply D1 migrations") {
  return ctx.cli(kind, name, ["d1", "migrations", "apply", "--target", "local"]);
}

/** Ships a faulty build of a Worker at 100%: the bad deploy the incident starts with. */
async function shipFault(
  ctx: DrillContext,
  config: WranglerConfig & { name: string },
  what: string,
  fault: Parameters<typeof writeFaultyVariant>[1],
) {
  const bad = writeFaultyVariant(config.path, fault);
  try {
    await ctx.step("fault", `ship ${config.name} with ${what} at 100%`, () =>
      ctx.ship(config.name, bad.configPath, "drill-bad"),
    );
  } finally {
    bad.cleanup();
  }
}

/** The healthy starting point: migrations applied, v1 of the HTTP Worker (and c1 of the consumer) at 100%. */
async function baseline(ctx: DrillContext, { consumer = false }: { consumer?: boolean } = {}): Promise<void> {
  const api = ctx.httpWorker;
  await applyMigrations(ctx);
  await ctx.step("setup", `ship ${api.name} v1`, () => ctx.ship(api.name, api.path, "drill-v1"));
  const c = ctx.consumerWorker;
  if (consumer && c) await ctx.step("setup", `ship ${c.name} c1`, () => ctx.ship(c.name, c.path, "drill-c1"));
}

async function must(what: string, probe: Promise<{ ok: boolean; detail: string }>): Promise<void> {
  const r = await probe;
  if (!r.ok) throw new Error(`setup check failed: ${what}: ${r.detail}`);
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function writesWork(base: string): Promise<{ ok: boolean; detail: string }> {
  const r = await placeOrder(base, "drill-after");
  return "error" in r
    ? { ok: false, detail: `POST /orders answered ${r.error}` }
    : { ok: true, detail: "POST /orders 201" };
}

function consumerOf(ctx: DrillContext) {
  const c = ctx.consumerWorker;
  const q = c?.queues.consumers[0];
  if (!c || !q) throw new Error("the project has no queue consumer to drill");
  return { config: c, queue: q.queue };
}

/** A faulty HTTP version goes out; the compute-regression section (roll back the Worker) restores service. */
export const badVersion: Scenario = {
  name: "bad-version",
  incident: "compute-regression",
  summary: "a version answering 500 to every other request reaches 100%; the runbook rolls it back",
  async run(ctx) {
    const api = ctx.httpWorker;
    await baseline(ctx);
    await ctx.step("setup", "v1 serves", () => must("GET /healthz", sample(ctx.base(), "/healthz", 5)));
    await shipFault(ctx, api, "50% injected 500s", { errorRate: 0.5 });
    await ctx.expectBroken("GET /healthz", () => sample(ctx.base(), "/healthz", 10));
    await ctx.runIncident(incidentFor(ctx.runbook(), "compute-regression", api.name));
    await ctx.verify({
      "GET /healthz": () => sample(ctx.base(), "/healthz", 20),
      "POST /orders": () => writesWork(ctx.base()),
    });
  },
};

/**
 * A consumer regression under a flood: the consumer throws for every batch, messages are retried into the DLQ
 * while more keep coming. The runbook pauses, rolls the consumer back, resumes and replays the DLQ; every order
 * must end confirmed once (the shop's consumer is idempotent by event id; the replay sends each dead letter once).
 */
export const poisonFlood: Scenario = {
  name: "poison-flood",
  incident: "queue-consumer-regression",
  summary: "a consumer that throws meets a flood of orders; retries fill the DLQ; the runbook drains it",
  async run(ctx) {
    const { config: consumer, queue } = consumerOf(ctx);
    const platform = ctx.box.platform;
    await baseline(ctx, { consumer: true });
    const warm = await ctx.step("setup", "c1 confirms orders", async () => {
      const orders = await placeOrders(ctx.base(), 3, "drill-warm");
      await until("3 orders confirmed", async () => (await ordersIntact(ctx.base(), orders, "confirmed")).ok, 30_000);
      return orders;
    });
    await shipFault(ctx, consumer, "a queue handler that throws", { failQueue: true });
    const dlqd = await ctx.step("fault", "flood: 20 orders retried into the DLQ", async () => {
      const orders = await placeOrders(ctx.base(), 20, "drill-flood");
      await until("20 dead letters", async () => ((await platform.queueState(queue)).dlqDepth ?? 0) >= 20, 120_000);
      return orders;
    });
    // More traffic while the incident runs: these are still being retried when the queue is paused.
    const retrying = await ctx.step("fault", "10 more orders, still retrying", () =>
      placeOrders(ctx.base(), 10, "drill-late"),
    );
    const all: PlacedOrder[] = [...warm, ...dlqd, ...retrying];
    await ctx.expectBroken("orders confirmed", () => ordersIntact(ctx.base(), [...dlqd, ...retrying], "confirmed"));
    const deadLetters = (await platform.queueState(queue)).dlqDepth ?? 0;
    const outputs = await ctx.runIncident(incidentFor(ctx.runbook(), "queue-consumer-regression", queue));
    // What the runbook's own replay printed: every dead letter sent back, each once.
    const replay = outputs.find((o) => o.argv.includes("replay") && !o.argv.includes("--dry-run"));
    const replayed = Number(/replayed (\d+) dead letter/.exec(replay?.output ?? "")?.[1] ?? Number.NaN);
    await ctx.verify(
      {
        [`all ${all.length} orders confirmed`]: () => ordersIntact(ctx.base(), all, "confirmed"),
        "the replay sent each dead letter once": async () => ({
          ok: replayed === deadLetters,
          detail: `${deadLetters} dead letter(s) before the runbook, ${Number.isNaN(replayed) ? "no count" : replayed} replayed`,
        }),
        [`${queue} and its DLQ empty`]: async () => {
          const s = await platform.queueState(queue);
          return {
            ok: s.backlog === 0 && s.dlqDepth === 0 && !s.paused,
            detail: `backlog ${s.backlog ?? "?"}, DLQ ${s.dlqDepth ?? "?"}, ${s.paused ? "paused" : "delivering"}`,
          };
        },
      },
      90_000,
    );
    await ctx.step("verify", "a second replay sends nothing", async () => {
      const again = await platform.replayDeadLetters(queue);
      if (again.messages.length !== 0) throw new Error(`a second replay re-sent ${again.messages.length} message(s)`);
    });
  },
};

/** The SQL of a table rebuild that forgets to copy the rows: dropping `orders` cascades into `order_items`. */
const BAD_MIGRATION = `-- drill: a table rebuild gone wrong. It forgets to copy the rows before the DROP, and the DROP cascades.
CREATE TABLE orders_new (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
  status TEXT NOT NULL DEFAULT 'pending',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  item_count INTEGER
);
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
`;

/**
 * A migration that destroys data goes out. The runbook stops writes, rolls the code back, restores the database
 * to the bookmark taken before that migration, and turns writes back on; every order must be back.
 */
export const badMigration: Scenario = {
  name: "bad-migration",
  incident: "bad-d1-migration",
  summary: "a table rebuild drops every order; the runbook restores D1 to just before it",
  async run(ctx) {
    const api = ctx.httpWorker;
    const consumer = ctx.consumerWorker;
    const db = databaseOf(api);
    await baseline(ctx, { consumer: true });
    const orders = await ctx.step("setup", "10 orders placed and confirmed", async () => {
      const placed = await placeOrders(ctx.base(), 10, "drill-seed");
      const want = consumer ? "confirmed" : undefined;
      await until("orders confirmed", async () => (await ordersIntact(ctx.base(), placed, want)).ok, 30_000);
      return placed;
    });
    // The release that carries the migration ships new code too; the runbook rolls that back first.
    await ctx.step("setup", `ship ${api.name} v2 (the release with the migration)`, () =>
      ctx.ship(api.name, api.path, "drill-v2"),
    );
    if (consumer) {
      await ctx.step("setup", `ship ${consumer.name} c2`, () => ctx.ship(consumer.name, consumer.path, "drill-c2"));
    }
    const file = "9999_drill_rebuild_orders.sql";
    writeFileSync(join(db.migrationsDir, file), BAD_MIGRATION);
    const out = await applyMigrations(ctx, "fault", `apply ${file} (a rebuild that drops every order)`);
    if (!out.includes(file)) throw new Error(`${file} was not applied: ${out}`);
    await ctx.expectBroken("orders intact", () => ordersIntact(ctx.base(), orders));
    await ctx.runIncident(incidentFor(ctx.runbook(), "bad-d1-migration", db.name));
    await ctx.verify({
      [`all ${orders.length} orders back with their items`]: () =>
        ordersIntact(ctx.base(), orders, consumer ? "confirmed" : undefined),
      "writes back on": () => writesWork(ctx.base()),
    });
  },
};

/**
 * A Durable Object code path fails after a DO migration (a version whose `/carts` routes answer 500). Compute
 * rollback does not undo a DO migration, so the runbook gates writes, rolls back to code that copes, and lifts the
 * gate; the cart's stored lines must still be there.
 */
export const doMigration: Scenario = {
  name: "do-migration",
  incident: "do-migration-issue",
  summary: "the Durable Object routes fail after a class change; the runbook gates writes and rolls back",
  async run(ctx) {
    const api = ctx.httpWorker;
    const user = "drill-cart";
    const post = () => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku: "sku-drill", quantity: 1, priceCents: 100 }),
    });
    await baseline(ctx);
    await ctx.step("setup", "a cart holds a line", () =>
      must("POST /carts", sample(ctx.base(), `/carts/${user}`, 1, post)),
    );
    await shipFault(ctx, api, "failing Durable Object routes", { errorRate: 1, only: ["/carts"] });
    await ctx.expectBroken(`GET /carts/${user}`, () => sample(ctx.base(), `/carts/${user}`, 5));
    const incident = ctx.runbook().incidents.find((i) => i.id === "do-migration-issue");
    await ctx.runIncident(incident ?? incidentFor(ctx.runbook(), "do-migration-issue"));
    await ctx.verify({
      [`GET /carts/${user}`]: () => sample(ctx.base(), `/carts/${user}`, 10),
      "the cart kept its line": async () => {
        const res = await fetch(`${ctx.base()}/carts/${user}`);
        const body = res.ok ? ((await res.json()) as { lines?: unknown[] }) : {};
        const n = body.lines?.length ?? 0;
        return { ok: n > 0, detail: `${n} line(s) in the cart` };
      },
      "writes back on": () => writesWork(ctx.base()),
    });
  },
};

export const SCENARIOS: Record<string, Scenario> = {
  "bad-version": badVersion,
  "poison-flood": poisonFlood,
  "bad-migration": badMigration,
  "do-migration": doMigration,
};
