import Database from "better-sqlite3";
import type { ExtraSignals, MetricsQuery, VersionMetrics } from "../platform.js";
import { MetricsRecorder, type RequestSample, type SeriesPoint, type StoredSecond } from "./metrics.js";
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

/**
 * How metrics reach a query. The default is immediate and unsampled; `likeCloudflare()` gives them an ingestion
 * lag and Analytics Engine-style sampling, so a release meets the data shape it meets in production.
 */
export interface MetricsModel {
  /** A request is visible to queries this many seconds after it ended. */
  lagSeconds: number;
  /**
   * Per Worker, version and second, requests past this many are sampled: past T·2^(j-1) each is kept with
   * probability 2^-j and stands for 2^j requests (Analytics Engine's `_sample_interval`). As on the Cloudflare
   * target, counts are the rows kept and `weighted` holds the unbiased estimates.
   */
  sampleAbovePerSecond: number;
}

export const IMMEDIATE_METRICS: MetricsModel = { lagSeconds: 0, sampleAbovePerSecond: Number.POSITIVE_INFINITY };

/**
 * The `--like-cloudflare` metrics model.
 *
 * @example
 * likeCloudflare({ lagSeconds: 60 }); // { lagSeconds: 60, sampleAbovePerSecond: 100 }
 */
export function likeCloudflare({
  lagSeconds = 10,
  sampleAbovePerSecond = 100,
}: Partial<MetricsModel> = {}): MetricsModel {
  return { lagSeconds, sampleAbovePerSecond };
}

export interface EdgeSignalsOptions {
  /** SQLite file for attributed signals (in the edge's state folder, so a restart keeps them). */
  file: string;
  state: EdgeState;
  broker: QueueBroker;
  dlqOf: (queue: string) => string | undefined;
  /** How long signals and metrics are kept. */
  retentionSeconds?: number;
  model?: MetricsModel;
  /** [0, 1); injectable for tests. */
  random?: () => number;
  /** How often changed metric seconds are written to the file (a SIGKILL loses at most this much). */
  flushMs?: number;
}

type ByVersion = NonNullable<ExtraSignals["byVersion"]>;

/** The largest time a Date holds (ECMAScript's limit), for a window with no end. */
const LATEST_DATE_MS = 8.64e15;

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
  readonly model: MetricsModel;
  private readonly random: () => number;
  private readonly perSecond = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: EdgeSignalsOptions) {
    const retentionSeconds = options.retentionSeconds ?? 24 * 3600;
    this.retentionMs = retentionSeconds * 1000;
    this.model = options.model ?? IMMEDIATE_METRICS;
    this.random = options.random ?? Math.random;
    this.recorder = new MetricsRecorder({ retentionSeconds });
    this.db = new Database(options.file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS durable_object_errors (
        at INTEGER NOT NULL, class TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS durable_object_errors_at ON durable_object_errors (class, at);
      CREATE TABLE IF NOT EXISTS metric_seconds (
        worker TEXT NOT NULL, version TEXT NOT NULL, second INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (worker, version, second)
      );
    `);
    this.load();
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }

  private load(): void {
    const from = Math.floor((Date.now() - this.retentionMs) / 1000);
    this.db.prepare("DELETE FROM metric_seconds WHERE second < ?").run(from);
    const rows = this.db.prepare("SELECT data FROM metric_seconds").all() as { data: string }[];
    this.recorder.restore(rows.map((r) => JSON.parse(r.data) as StoredSecond));
  }

  /** Writes the metric seconds that changed since the last flush. */
  flush(): void {
    const changed = this.recorder.takeDirty();
    if (changed.length === 0) return;
    const put = this.db.prepare(
      "INSERT OR REPLACE INTO metric_seconds (worker, version, second, data) VALUES (?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      for (const r of changed) put.run(r.worker, r.versionId, r.second, JSON.stringify(r));
    })();
  }

  /** Records one request the router served, sampled under the `likeCloudflare` model. */
  record(sample: RequestSample): void {
    const at = sample.at ?? Date.now();
    const key = `${sample.worker}\u0000${sample.versionId}\u0000${Math.floor(at / 1000)}`;
    const n = (this.perSecond.get(key) ?? 0) + 1;
    if (this.perSecond.size > 10_000) this.perSecond.clear();
    this.perSecond.set(key, n);
    const limit = this.model.sampleAbovePerSecond;
    const interval = n <= limit ? 1 : 2 ** Math.ceil(Math.log2(n / limit));
    if (interval > 1 && this.random() >= 1 / interval) return;
    this.recorder.record({ ...sample, at, weight: interval });
  }

  /**
   * The end of a query's window as it can be answered: `until` (default: open), but never past the ingested data.
   * Under a lag a second is ingested once all of it is `lagSeconds` old, so the partly ingested second is left out
   * whole; the window is never moved (the release asks for [since, now − lag) itself).
   */
  private visibleUntil(until: Date | undefined): Date {
    const now = Date.now();
    // No `until`: everything that has arrived, including rows stamped this very millisecond.
    const asked = until?.getTime() ?? LATEST_DATE_MS;
    if (this.model.lagSeconds <= 0) return new Date(asked);
    const ingested = Math.floor((now - this.model.lagSeconds * 1000) / 1000) * 1000;
    return new Date(Math.min(asked, ingested));
  }

  /** Per-second points per version over [since, until), as the dashboard charts them (after the ingestion lag). */
  series(worker: string, since: Date, until?: Date): { versionId: string; points: SeriesPoint[] }[] {
    return this.recorder.series(worker, since, this.visibleUntil(until));
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

  /**
   * Per version over the half-open window [since, until) of request time; every version of the current deployment
   * is listed, with zeros if it saw nothing. Rows still being ingested are missing, as on Analytics Engine.
   */
  metrics(query: MetricsQuery): VersionMetrics[] {
    const out = this.recorder.query(query.worker, query.since, this.visibleUntil(query.until), query.slowerThanMs);
    for (const e of this.options.state.current(query.worker)?.versions ?? []) {
      if (out.some((m) => m.versionId === e.versionId)) continue;
      out.push({
        versionId: e.versionId,
        requests: 0,
        status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
        exceptions: 0,
        latency: { p50: 0, p90: 0, p95: 0, p99: 0 },
        slowerThan: Object.fromEntries((query.slowerThanMs ?? []).map((b) => [String(b), 0])),
      });
    }
    return out;
  }

  /**
   * DLQ arrivals per watched queue and Durable Object errors per watched class, in total and by version: a DO
   * error belongs to the version that ran the object, a dead letter to the version whose consumer failed it.
   * The window is half-open, [since, until), and ends where the metrics do under an ingestion lag.
   */
  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): ExtraSignals {
    const since = query.since.getTime();
    const until = this.visibleUntil(query.until).getTime();
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
      "SELECT version, COUNT(*) AS n FROM durable_object_errors WHERE class = ? AND at >= ? AND at < ? GROUP BY version",
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
