import Database from "better-sqlite3";
import type { AnalysisRecord } from "../platform.js";

export interface EdgeAnalysisOptions {
  /** SQLite file in the edge's state folder, so a restart keeps a release's polls. */
  file: string;
  /** How long polls are kept. */
  retentionSeconds?: number;
  /** Newest polls kept per Worker. */
  maxPerWorker?: number;
}

/**
 * The release engine's analysis polls per Worker, oldest first, for the dashboard's chart and the report.
 *
 * @example
 * const store = new EdgeAnalysis({ file: ".blastwall/local/records.sqlite" });
 * store.record({ worker: "shop-api", t: 1764170000, verdict: "continue", message: "e=1.2 < 20" });
 */
export class EdgeAnalysis {
  private readonly db: Database.Database;
  private readonly retentionSeconds: number;
  private readonly maxPerWorker: number;

  constructor({ file, retentionSeconds = 7 * 24 * 3600, maxPerWorker = 5000 }: EdgeAnalysisOptions) {
    this.retentionSeconds = retentionSeconds;
    this.maxPerWorker = maxPerWorker;
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS analysis (worker TEXT NOT NULL, t REAL NOT NULL, record TEXT NOT NULL); CREATE INDEX IF NOT EXISTS analysis_by_worker ON analysis (worker, t);",
    );
  }

  close(): void {
    this.db.close();
  }

  record(record: AnalysisRecord): AnalysisRecord {
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO analysis (worker, t, record) VALUES (?, ?, ?)")
        .run(record.worker, record.t, JSON.stringify(record));
      this.db.prepare("DELETE FROM analysis WHERE t < ?").run(Date.now() / 1000 - this.retentionSeconds);
      this.db
        .prepare(
          "DELETE FROM analysis WHERE worker = ? AND rowid NOT IN (SELECT rowid FROM analysis WHERE worker = ? ORDER BY t DESC LIMIT ?)",
        )
        .run(record.worker, record.worker, this.maxPerWorker);
    })();
    return record;
  }

  list(worker: string, since?: Date): AnalysisRecord[] {
    const from = since ? since.getTime() / 1000 : Number.NEGATIVE_INFINITY;
    const rows = this.db
      .prepare("SELECT record FROM analysis WHERE worker = ? AND t >= ? ORDER BY t, rowid")
      .all(worker, from) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as AnalysisRecord);
  }
}
