import Database from "better-sqlite3";
import type { DeadLetter, QueueState } from "../platform.js";
import type { VersionBindings } from "./state.js";

export type ConsumerSettings = VersionBindings["consumers"][number];

/** A message as stored: bodies are kept as text (text), base64 (bytes) or JSON text (json and structured clones). */
export interface StoredBody {
  type: "text" | "bytes" | "json";
  data: string;
}

export interface IncomingMessage {
  id: string;
  timestamp: number;
  body: StoredBody;
}

export interface DeliveredMessage {
  id: string;
  timestamp: Date;
  body: unknown;
  attempts: number;
}

/** What a consumer's `queue()` handler answered, as workerd reports it for a service binding. */
export interface QueueDeliveryResult {
  outcome: string;
  ackAll?: boolean;
  retryBatch?: { retry: boolean; delaySeconds?: number };
  explicitAcks?: string[];
  retryMessages?: { msgId: string; delaySeconds?: number }[];
}

/** The version that consumes one batch: its worker in Miniflare, its settings and its version id. */
export interface QueueConsumer {
  runtimeName: string;
  settings: ConsumerSettings;
  versionId?: string;
}

export interface QueueBrokerOptions {
  file: string;
  /** The version consuming a queue right now, or undefined: then messages wait, as on Cloudflare. */
  consumerOf: (queue: string) => QueueConsumer | undefined;
  /** The dead-letter queue configured for a queue, if any. */
  dlqOf: (queue: string) => string | undefined;
  deliver: (runtimeName: string, queue: string, messages: DeliveredMessage[]) => Promise<QueueDeliveryResult>;
  /** How often the delivery loop looks for due batches. */
  tickMs?: number;
  log?: (line: string) => void;
}

/** Cloudflare's consumer defaults. */
const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_BATCH_TIMEOUT_S = 5;
const DEFAULT_MAX_RETRIES = 3;

function decode(body: StoredBody): unknown {
  if (body.type === "text") return body.data;
  if (body.type === "bytes") {
    const buf = Buffer.from(body.data, "base64");
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }
  return JSON.parse(body.data) as unknown;
}

/** A message body as one short line, for listings. */
export function previewBody(body: StoredBody, max = 120): string {
  const text = body.type === "bytes" ? `<${Buffer.from(body.data, "base64").byteLength} bytes>` : body.data;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface Row {
  seq: number;
  queue: string;
  id: string;
  ts: number;
  body_type: StoredBody["type"];
  body: string;
  attempts: number;
}

/**
 * The edge's durable queue broker. Miniflare's broker keeps messages in memory, drops messages for queues without
 * a consumer, and loses everything when workerd restarts; this one keeps every message in SQLite until a consumer
 * acks it or it reaches the dead-letter queue, so pause, restart and SIGKILL lose nothing.
 * Delivery follows Cloudflare's rules: batches by size or timeout, per-message or whole-batch retries with delays,
 * `max_retries`, then the DLQ (or deletion when there is none).
 *
 * @example
 * const broker = new QueueBroker({ file: ".blastwall/local/queues.sqlite", consumerOf, dlqOf, deliver });
 * broker.start();
 */
export class QueueBroker {
  private readonly db: Database.Database;
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly options: Required<Omit<QueueBrokerOptions, "log">> & { log: (line: string) => void };

  constructor({ tickMs = 100, log = () => {}, ...rest }: QueueBrokerOptions) {
    this.options = { tickMs, log, ...rest };
    this.db = new Database(rest.file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        body_type TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        visible_at INTEGER NOT NULL,
        inflight INTEGER NOT NULL DEFAULT 0,
        UNIQUE (queue, id)
      );
      CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, inflight, visible_at);
      CREATE TABLE IF NOT EXISTS paused (queue TEXT PRIMARY KEY, since INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (queue TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, n INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS events_by_queue ON events (queue, kind, at);
    `);
    // Columns added after the first release of this file: the version a dead letter was failed by.
    const columns = (t: string) =>
      (this.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    if (!columns("messages").includes("failed_by")) this.db.exec("ALTER TABLE messages ADD COLUMN failed_by TEXT");
    if (!columns("events").includes("version")) this.db.exec("ALTER TABLE events ADD COLUMN version TEXT");
    // A batch in flight when the edge died was never acked: it is delivered again (at-least-once).
    this.db.exec("UPDATE messages SET inflight = 0 WHERE inflight = 1");
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /** Stops delivering and waits for batches in flight to settle. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + 10_000;
    while (this.busy.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.db.close();
  }

  /** Stores messages handed over by Miniflare's broker. A message seen twice (a redelivered batch) is stored once. */
  enqueue(queue: string, messages: readonly IncomingMessage[]): void {
    const now = Date.now();
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO messages (queue, id, ts, body_type, body, visible_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      let n = 0;
      for (const m of messages) n += insert.run(queue, m.id, m.timestamp, m.body.type, m.body.data, now).changes;
      if (n > 0) this.event(queue, "enqueued", n, now);
    })();
  }

  private event(queue: string, kind: string, n: number, at = Date.now(), version: string | null = null): void {
    this.db
      .prepare("INSERT INTO events (queue, kind, at, n, version) VALUES (?, ?, ?, ?, ?)")
      .run(queue, kind, at, n, version);
  }

  pause(queue: string): void {
    this.db.prepare("INSERT OR IGNORE INTO paused (queue, since) VALUES (?, ?)").run(queue, Date.now());
  }

  resume(queue: string): void {
    this.db.prepare("DELETE FROM paused WHERE queue = ?").run(queue);
  }

  isPaused(queue: string): boolean {
    return this.db.prepare("SELECT 1 FROM paused WHERE queue = ?").get(queue) !== undefined;
  }

  depth(queue: string): number {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM messages WHERE queue = ?").get(queue) as { n: number };
    return row.n;
  }

  state(queue: string): QueueState {
    const dlq = this.options.dlqOf(queue);
    return {
      queue,
      paused: this.isPaused(queue),
      backlog: this.depth(queue),
      ...(dlq ? { deadLetterQueue: dlq, dlqDepth: this.depth(dlq) } : {}),
    };
  }

  /** Messages that arrived in a queue in [since, until) (for a DLQ: messages dead-lettered in the window). */
  arrivals(queue: string, since: number, until: number): number {
    const row = this.db
      .prepare(
        "SELECT COALESCE(SUM(n), 0) AS n FROM events WHERE queue = ? AND kind = 'enqueued' AND at >= ? AND at < ?",
      )
      .get(queue, since, until) as { n: number };
    return row.n;
  }

  /** Messages dead-lettered into `dlq` in [since, until), by the version whose consumer failed them. */
  arrivalsByVersion(dlq: string, since: number, until: number): Record<string, number> {
    const rows = this.db
      .prepare(
        "SELECT version, SUM(n) AS n FROM events WHERE queue = ? AND kind = 'enqueued' AND version IS NOT NULL AND at >= ? AND at < ? GROUP BY version",
      )
      .all(dlq, since, until) as { version: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.version, r.n]));
  }

  /** The version whose consumer failed a dead letter, by message id. */
  failedBy(dlq: string, id: string): string | undefined {
    const row = this.db.prepare("SELECT failed_by FROM messages WHERE queue = ? AND id = ?").get(dlq, id) as
      | { failed_by: string | null }
      | undefined;
    return row?.failed_by ?? undefined;
  }

  /**
   * Moves the messages of `dlq` back into `queue`, oldest first. Each message moves in its own transaction:
   * deleted from the DLQ and inserted into the queue with the same id, so a replay run twice (or two at once, or
   * one killed half-way) never enqueues a message twice. With `dryRun`, only lists them.
   */
  replay(
    dlq: string,
    queue: string,
    { dryRun = false, limit }: { dryRun?: boolean; limit?: number } = {},
  ): DeadLetter[] {
    const rows = this.db
      .prepare(
        "SELECT seq, id, ts, body_type, body, attempts, failed_by FROM messages WHERE queue = ? AND inflight = 0 ORDER BY seq LIMIT ?",
      )
      .all(dlq, limit ?? -1) as (Row & { failed_by: string | null })[];
    const out = rows.map(
      (r): DeadLetter => ({
        id: r.id,
        replayId: r.id,
        attempts: r.attempts,
        timestamp: new Date(r.ts).toISOString(),
        preview: previewBody({ type: r.body_type, data: r.body }),
        ...(r.failed_by ? { failedBy: r.failed_by } : {}),
      }),
    );
    if (dryRun) return out;
    const del = this.db.prepare("DELETE FROM messages WHERE seq = ?");
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO messages (queue, id, ts, body_type, body, visible_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const moved: typeof out = [];
    for (const [i, r] of rows.entries()) {
      this.db.transaction(() => {
        // Another replay took it first: skip, so it is sent once.
        if (del.run(r.seq).changes === 0) return;
        insert.run(queue, r.id, r.ts, r.body_type, r.body, Date.now());
        const m = out[i];
        if (m) moved.push(m);
      })();
    }
    if (moved.length > 0) this.event(queue, "replayed", moved.length);
    return moved;
  }

  /** Queues that ever held a message, so `queues list` shows queues nobody declared a consumer for. */
  knownQueues(): string[] {
    const rows = this.db.prepare("SELECT DISTINCT queue FROM events UNION SELECT queue FROM paused").all() as {
      queue: string;
    }[];
    return rows.map((r) => r.queue);
  }

  private tick(): void {
    const now = Date.now();
    const queues = this.db
      .prepare("SELECT DISTINCT queue FROM messages WHERE inflight = 0 AND visible_at <= ?")
      .all(now) as { queue: string }[];
    for (const { queue } of queues) {
      if (this.busy.has(queue) || this.isPaused(queue)) continue;
      const consumer = this.options.consumerOf(queue);
      if (!consumer) continue;
      const size = consumer.settings.maxBatchSize ?? DEFAULT_BATCH_SIZE;
      const waitMs = (consumer.settings.maxBatchTimeout ?? DEFAULT_BATCH_TIMEOUT_S) * 1000;
      const ready = this.db
        .prepare(
          "SELECT seq, queue, id, ts, body_type, body, attempts, visible_at FROM messages WHERE queue = ? AND inflight = 0 AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
        )
        .all(queue, now, size) as (Row & { visible_at: number })[];
      const oldest = ready[0];
      if (!oldest || (ready.length < size && now - oldest.visible_at < waitMs)) continue;
      this.busy.add(queue);
      this.deliverBatch(queue, consumer, ready)
        .catch((err: unknown) => this.options.log(`queue ${queue}: ${(err as Error).message}`))
        .finally(() => this.busy.delete(queue));
    }
    if (now % 60_000 < this.options.tickMs) {
      this.db.prepare("DELETE FROM events WHERE at < ?").run(now - 24 * 3600_000);
    }
  }

  private async deliverBatch(queue: string, consumer: QueueConsumer, rows: Row[]) {
    const { runtimeName } = consumer;
    const mark = this.db.prepare("UPDATE messages SET inflight = 1 WHERE seq = ?");
    this.db.transaction(() => {
      for (const r of rows) mark.run(r.seq);
    })();
    let result: QueueDeliveryResult;
    try {
      result = await this.options.deliver(
        runtimeName,
        queue,
        rows.map((r) => ({
          id: r.id,
          timestamp: new Date(r.ts),
          body: decode({ type: r.body_type, data: r.body }),
          attempts: r.attempts + 1,
        })),
      );
    } catch (err) {
      this.options.log(`queue ${queue}: delivery to ${runtimeName} failed: ${(err as Error).message}`);
      result = { outcome: "exception", retryBatch: { retry: true } };
    }
    this.settle(queue, consumer, rows, result);
  }

  private settle(queue: string, consumer: QueueConsumer, rows: Row[], result: QueueDeliveryResult): void {
    const { settings } = consumer;
    const failedBy = consumer.versionId ?? null;
    const now = Date.now();
    const retryAll = result.retryBatch?.retry === true || result.outcome !== "ok";
    const retries = new Map((result.retryMessages ?? []).map((r) => [r.msgId, r.delaySeconds]));
    const batchDelay = result.retryBatch?.delaySeconds ?? settings.retryDelay ?? 0;
    const maxRetries = settings.maxRetries ?? DEFAULT_MAX_RETRIES;
    const dlq = settings.deadLetterQueue;
    const counts = { acked: 0, retried: 0, dead_lettered: 0, dropped: 0 };
    const del = this.db.prepare("DELETE FROM messages WHERE seq = ?");
    const retry = this.db.prepare("UPDATE messages SET inflight = 0, attempts = ?, visible_at = ? WHERE seq = ?");
    const move = this.db.prepare(
      "INSERT OR IGNORE INTO messages (queue, id, ts, body_type, body, visible_at, failed_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      for (const r of rows) {
        if (!(retryAll || retries.has(r.id))) {
          del.run(r.seq);
          counts.acked++;
          continue;
        }
        const failed = r.attempts + 1;
        if (failed <= maxRetries) {
          retry.run(failed, now + (retries.get(r.id) ?? batchDelay) * 1000, r.seq);
          counts.retried++;
        } else if (dlq) {
          move.run(dlq, r.id, r.ts, r.body_type, r.body, now, failedBy);
          del.run(r.seq);
          counts.dead_lettered++;
        } else {
          del.run(r.seq);
          counts.dropped++;
        }
      }
      for (const [kind, n] of Object.entries(counts)) if (n > 0) this.event(queue, kind, n, now);
      if (dlq && counts.dead_lettered > 0) this.event(dlq, "enqueued", counts.dead_lettered, now, failedBy);
    })();
    if (counts.dropped > 0) {
      this.options.log(`queue ${queue}: ${counts.dropped} message(s) failed ${maxRetries + 1} times and no DLQ is set`);
    }
  }
}
