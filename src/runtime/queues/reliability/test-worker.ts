// The reliability harness: examples/shop's consumer behind a fault-injecting D1 binding and store, run by
// test/reliability/harness.ts on Miniflare with the real queue broker. Faults are planned per event id, fire once:
//   throw   - the handler throws before its side effect (a handled failure)
//   before  - the worker dies after claiming, before the side effect (its claim stays INPROGRESS)
//   after   - the worker dies right after the D1 commit holding the side effect, before anything else
// A death hangs every later D1 and store call of that invocation and makes queue() throw, so the broker redelivers
// the whole batch, as when an isolate is lost. Side effects are counted in D1 itself, in the same transaction.
import {
  confirmOrder,
  orderCreated,
  processOrderEvents,
  type Env as ShopEnv,
} from "../../../../examples/shop/consumer/src/index.js";
import { type ConsumeResult, consume } from "../consume.js";
import { d1Idempotency } from "../stores/d1.js";
import { durableObjectIdempotency, type IdempotencyShard } from "../stores/durable-object.js";
import { kvIdempotency } from "../stores/kv.js";
import { fnv1a, type IdempotencyStore } from "../stores/types.js";

export { IdempotencyShard } from "../stores/durable-object.js";

interface Env extends ShopEnv {
  IDEMPOTENCY: DurableObjectNamespace<IdempotencyShard>;
  IDEM_KV: KVNamespace;
  STORE: "d1" | "do" | "kv";
  /** Percent of events per fault kind, e.g. "10,10,10" for throw, before, after. */
  FAULTS: string;
  LEASE_MS: string;
  /** "0" runs the shop consumer claim-first instead of its speculative default. */
  SPECULATIVE: string;
}

type Fault = "throw" | "before" | "after" | "none";

const fired = new Set<string>();
const totals = { invocations: 0, deaths: 0, acked: 0, retried: 0, deadLettered: 0, duplicates: 0 };
const faultsFired = { throw: 0, before: 0, after: 0 };
const SIDE_EFFECT = "INSERT OR IGNORE INTO order_events";

function planFor(env: Env): (eventId: string) => Fault {
  const [t = 0, b = 0, a = 0] = env.FAULTS.split(",").map(Number);
  return (eventId) => {
    if (fired.has(eventId)) return "none";
    const bucket = fnv1a(`fault:${eventId}`) % 100;
    if (bucket < t) return "throw";
    if (bucket < t + b) return "before";
    if (bucket < t + b + a) return "after";
    return "none";
  };
}

class Invocation {
  dead = false;
  #kill: (err: Error) => void = () => {};
  readonly dying = new Promise<never>((_, reject) => {
    this.#kill = reject;
  });
  kill(why: string) {
    if (this.dead) return;
    this.dead = true;
    totals.deaths++;
    this.#kill(new Error(`injected worker death: ${why}`));
  }
}

const hang = () => new Promise<never>(() => {});
const bound = new WeakMap<object, { sql: string; args: unknown[] }>();

function faultyDb(raw: D1Database, inv: Invocation, plan: (eventId: string) => Fault): D1Database {
  const wrap = (stmt: D1PreparedStatement, sql: string, args: unknown[]): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") {
          return (...a: unknown[]) => {
            const eventId = String(a[0]);
            if (sql.startsWith(SIDE_EFFECT)) {
              const fault = plan(eventId);
              if (fault === "throw" || fault === "before") {
                fired.add(eventId);
                faultsFired[fault]++;
                if (fault === "before") inv.kill(`before side effect of ${eventId}`);
                throw new Error(`injected crash before the side effect of ${eventId}`);
              }
            }
            return wrap(target.bind(...a), sql, a);
          };
        }
        if (inv.dead) return hang;
        return value.bind(target);
      },
    });
    bound.set(proxy, { sql, args });
    return proxy;
  };
  return new Proxy(raw, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql, []);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (inv.dead) return hang();
          const effects = statements
            .map((s) => bound.get(s))
            .filter((b) => b?.sql.startsWith(SIDE_EFFECT))
            .map((b) => String(b?.args[0]));
          const dies = effects.filter((id) => plan(id) === "after");
          const count = effects.map((id) =>
            target.prepare("INSERT INTO harness_applications (event_id) VALUES (?)").bind(id),
          );
          // Everything this commit puts in the crash window is recorded in the same transaction.
          const windows =
            dies.length > 0
              ? effects.map((id) => target.prepare("INSERT INTO harness_crash_windows (event_id) VALUES (?)").bind(id))
              : [];
          const out = await target.batch([...statements, ...count, ...windows]);
          if (dies.length > 0) {
            for (const id of dies) fired.add(id);
            faultsFired.after += dies.length;
            inv.kill(`after the commit of ${effects.length} side effects`);
            return hang();
          }
          return out.slice(0, statements.length);
        };
      }
      if (inv.dead) return hang;
      return value.bind(target);
    },
  });
}

function guarded(store: IdempotencyStore, inv: Invocation): IdempotencyStore {
  const after = async <T>(call: () => Promise<T>): Promise<T> => {
    if (inv.dead) return hang();
    const out = await call();
    return inv.dead ? hang() : out;
  };
  return {
    kind: store.kind,
    guarantee: store.guarantee,
    commitsStatements: store.commitsStatements,
    claim: (r) => after(() => store.claim(r)),
    settle: (r) => after(() => store.settle(r)),
    inspect: (k, n) => store.inspect(k, n),
  };
}

/** Counts every call that reaches D1 (batch, exec, and statement run/all/first/raw): its round trips. */
export function countingDb(raw: D1Database): { db: D1Database; calls: () => number } {
  let calls = 0;
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") calls++;
        return value.bind(target);
      },
    });
  const db = new Proxy(raw, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (sql: string) => statement(target.prepare(sql));
      if (prop === "batch" || prop === "exec") calls++;
      return value.bind(target);
    },
  });
  return { db, calls: () => calls };
}

function syntheticBatch(bodies: unknown[]): MessageBatch<unknown> {
  const messages: Message<unknown>[] = bodies.map((body, i) => ({
    id: `bench-${i}-${crypto.randomUUID()}`,
    timestamp: new Date(),
    body,
    attempts: 1,
    ack() {},
    retry() {},
  }));
  return {
    queue: "order-events",
    messages,
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll() {},
    retryAll() {},
  };
}

type BenchMode = "d1" | "d1_claim_first" | "naive" | "naive_batched" | "claim";

const benchIds = (run: string, count: number) => Array.from({ length: count }, (_, i) => `${run}-${i}`);

/** Orders for a bench step, created before it is timed; with `confirmed`, how many the step confirmed. */
async function benchOrders(env: Env, run: string, count: number, confirmed: boolean): Promise<Response> {
  const ids = JSON.stringify(benchIds(run, count));
  if (!confirmed) {
    await env.DB.prepare("INSERT INTO orders (id, user_id, total_cents) SELECT value, 'u', 100 FROM json_each(?)")
      .bind(ids)
      .run();
    return Response.json({ seeded: count });
  }
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM orders WHERE status = 'confirmed' AND id IN (SELECT value FROM json_each(?))",
  )
    .bind(ids)
    .first<{ n: number }>();
  return Response.json({ confirmed: row?.n ?? 0 });
}

/** One bench step, timed by the caller: `batches` batches of `size` fresh order events through one consumer style. */
async function bench(env: Env, mode: BenchMode, size: number, batches: number, run: string): Promise<Response> {
  const { db, calls } = countingDb(env.DB);
  const ids = benchIds(run, size * batches);
  for (let b = 0; b < batches; b++) {
    const bodies = ids
      .slice(b * size, (b + 1) * size)
      .map((id) =>
        orderCreated.envelope(
          { orderId: id, userId: "u", total: { cents: 100, currency: "EUR" } },
          { id, source: "bench" },
        ),
      );
    const batch = syntheticBatch(bodies);
    if (mode === "d1" || mode === "d1_claim_first") {
      await processOrderEvents(batch, env, { db, log: () => {}, speculative: mode === "d1" });
    } else if (mode === "naive") {
      // No idempotency, one message at a time: what shop-consumer did before it adopted blastwall/queues.
      for (const m of batch.messages) {
        const d = await orderCreated.decode(m.body);
        if (d.ok) await db.batch(confirmOrder(db, d.data, d.envelope.id));
        m.ack();
      }
    } else if (mode === "naive_batched") {
      // No idempotency, every message's side effects in one batch(): the cheapest a consumer can be.
      const statements: D1PreparedStatement[] = [];
      for (const m of batch.messages) {
        const d = await orderCreated.decode(m.body);
        if (d.ok) statements.push(...confirmOrder(db, d.data, d.envelope.id));
      }
      await db.batch(statements);
      batch.ackAll();
    } else {
      // Claim per message (the Powertools style): each message claims, runs and completes on its own.
      const store = d1Idempotency(db, { table: "bench_claim_per_message" });
      for (const m of batch.messages) {
        await consume(
          { ...batch, messages: [m] },
          (order, { envelope }) => confirmOrder(db, order, envelope?.id ?? ""),
          { idempotency: store, message: orderCreated, log: () => {} },
        );
      }
    }
  }
  return Response.json({ roundTrips: calls() });
}

export default {
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    if (batch.queue === "order-events-dlq") {
      await env.DB.batch(
        batch.messages.map((m) =>
          env.DB.prepare("INSERT INTO harness_dlq (message_id, body) VALUES (?, ?)").bind(m.id, JSON.stringify(m.body)),
        ),
      );
      batch.ackAll();
      return;
    }
    totals.invocations++;
    const inv = new Invocation();
    const db = faultyDb(env.DB, inv, planFor(env));
    const store =
      env.STORE === "do"
        ? durableObjectIdempotency(env.IDEMPOTENCY, { shards: 16 })
        : env.STORE === "kv"
          ? kvIdempotency(env.IDEM_KV)
          : d1Idempotency(db);
    const result: ConsumeResult = await Promise.race([
      processOrderEvents(batch, env, {
        db,
        idempotency: guarded(store, inv),
        ...(env.STORE === "d1" ? {} : { sideEffects: db }),
        leaseMs: Number(env.LEASE_MS),
        ...(env.SPECULATIVE === "0" ? { speculative: false } : {}),
        backoff: { baseSeconds: 1, capSeconds: 2 },
        log: () => {},
      }),
      inv.dying,
    ]);
    // The shop dead-letters through its DLQ producer, which acks: acked = processed + duplicates + dead letters.
    totals.acked += result.processed + result.duplicates + result.deadLettered;
    totals.retried += result.retried;
    totals.deadLettered += result.deadLettered;
    totals.duplicates += result.duplicates;
  },

  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const run = url.searchParams.get("run") ?? "";
    const count = Number(url.searchParams.get("count"));
    if (url.pathname === "/bench/seed") return benchOrders(env, run, count, false);
    if (url.pathname === "/bench/confirmed") return benchOrders(env, run, count, true);
    if (url.pathname === "/bench") {
      const mode = url.searchParams.get("mode") as BenchMode;
      const size = Number(url.searchParams.get("size"));
      const batches = Number(url.searchParams.get("batches"));
      return bench(env, mode, size, batches, url.searchParams.get("run") ?? crypto.randomUUID());
    }
    return Response.json({ ...totals, faultsFired });
  },
} satisfies ExportedHandler<Env>;
