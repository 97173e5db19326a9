import Database from "better-sqlite3";
import type { ExtraSignals, MetricsQuery, VersionMetrics } from "../platform.js";
import { MetricsRecorder } from "./metrics.js";
import type { QueueBroker } from "./queue-broker.js";
import type { EdgeState } from "./state.js";

/** What the entry wrapper reports for a Durable Object call: an exception in the object, an overload, or a 503. */
export type DurableObjectSignalKind = "exception" | "overloaded" | "503";

export interface DurableObjectSignal {
  className: string;
  versionId: string;
  kind: DurableObjectSignalKind;
  /** ms since epoch; default now. */
  at?: number;
}

export interface EdgeSignalsOptions {
  /** SQLite file for attributed signals (in the edge's state folder, so a restart keeps them). */
  file: string;
  state: EdgeState;
  broker: QueueBroker;
  dlqOf: (queue: string) => string | undefined;
  /** How long signals are kept. */
  retentionSeconds?: number;
}

type ByVersion = NonNullable<ExtraSignals["byVersion"]>;

/**
 * Metrics and release signals of the local edge: per-version request metrics, Durable Object errors counted for
 * the class and for the version that ran the object, and DLQ arrivals by the version whose consumer failed them.
 *
 * @example
 * const signals = new EdgeSignals({ file, state, broker, dlqOf });
 * signals.extraSignals({ worker: "shop-api", since, queues: ["orders"], durableObjects: ["Cart"] });
 */
export class EdgeSignals {
  readonly recorder: MetricsRecorder;
  private readonly db: Database.Database;
  private readonly retentionMs: number;

  constructor(private readonly options: EdgeSignalsOptions) {
    const retentionSeconds = options.retentionSeconds ?? 24 * 3600;
    this.retentionMs = retentionSeconds * 1000;
    this.recorder = new MetricsRecorder({ retentionSeconds });
    this.db = new Database(options.file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS durable_object_errors (
        at INTEGER NOT NULL, class TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS durable_object_errors_at ON durable_object_errors (class, at);
    `);
  }

  close(): void {
    this.db.close();
  }

  recordDurableObject({ className, versionId, kind, at = Date.now() }: DurableObjectSignal): void {
    this.db
      .prepare("INSERT INTO durable_object_errors (at, class, version, kind) VALUES (?, ?, ?, ?)")
      .run(at, className, versionId, kind);
    this.db.prepare("DELETE FROM durable_object_errors WHERE at < ?").run(at - this.retentionMs);
  }

  /** The entry wrapper's reports arrive here, through the SIGNALS service binding of every version. */
  async endpoint(req: Request): Promise<Response> {
    const body = (await req.json().catch(() => null)) as Partial<DurableObjectSignal> | null;
    const kinds: readonly string[] = ["exception", "overloaded", "503"];
    if (
      !body ||
      typeof body.className !== "string" ||
      typeof body.versionId !== "string" ||
      !kinds.includes(String(body.kind))
    ) {
      return new Response("expected { className, versionId, kind }", { status: 400 });
    }
    this.recordDurableObject({
      className: body.className,
      versionId: body.versionId,
      kind: body.kind as DurableObjectSignalKind,
    });
    return new Response("recorded");
  }

  /** Per version over the window; every version of the current deployment is listed, with zeros if it saw nothing. */
  metrics(query: MetricsQuery): VersionMetrics[] {
    const out = this.recorder.query(query.worker, query.since, query.until ?? new Date(), query.slowerThanMs);
    for (const e of this.options.state.current(query.worker)?.versions ?? []) {
      if (out.some((m) => m.versionId === e.versionId)) continue;
      out.push({
        versionId: e.versionId,
        requests: 0,
        status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
        exceptions: 0,
        latency: { p50: 0, p95: 0, p99: 0 },
        slowerThan: Object.fromEntries((query.slowerThanMs ?? []).map((b) => [String(b), 0])),
      });
    }
    return out;
  }

  /**
   * DLQ arrivals per watched queue and Durable Object errors per watched class, in total and by version: a DO
   * error belongs to the version that ran the object, a dead letter to the version whose consumer failed it.
   */
  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): ExtraSignals {
    const since = query.since.getTime();
    const until = (query.until ?? new Date()).getTime();
    const byVersion: ByVersion = {};
    const slot = (v: string) => {
      byVersion[v] ??= { dlqMessages: {}, durableObjectErrors: {} };
      return byVersion[v];
    };
    for (const e of this.options.state.current(query.worker)?.versions ?? []) slot(e.versionId);
    const dlqMessages: Record<string, number> = {};
    for (const q of query.queues) {
      const dlq = this.options.dlqOf(q) ?? q;
      dlqMessages[q] = this.options.broker.arrivals(dlq, since, until);
      for (const [v, n] of Object.entries(this.options.broker.arrivalsByVersion(dlq, since, until))) {
        slot(v).dlqMessages[q] = n;
      }
    }
    const durableObjectErrors: Record<string, number> = {};
    const count = this.db.prepare(
      "SELECT version, COUNT(*) AS n FROM durable_object_errors WHERE class = ? AND at BETWEEN ? AND ? GROUP BY version",
    );
    for (const c of query.durableObjects) {
      const rows = count.all(c, since, until) as { version: string; n: number }[];
      durableObjectErrors[c] = rows.reduce((s, r) => s + r.n, 0);
      for (const r of rows) slot(r.version).durableObjectErrors[c] = r.n;
    }
    for (const v of Object.values(byVersion)) {
      for (const q of query.queues) v.dlqMessages[q] ??= 0;
      for (const c of query.durableObjects) v.durableObjectErrors[c] ??= 0;
    }
    return { dlqMessages, durableObjectErrors, byVersion };
  }
}
