import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { d1Analyzer } from "../src/check/d1/analyzer.js";
import { listMigrationFiles } from "../src/check/d1/migrations.js";
import { runCheck } from "../src/check/run-check.js";
import { generateCodeProject } from "./gen/code-project.js";
import { defineBench, round } from "./lib.js";

/**
 * A migration history shaped like a real one: tables that reference earlier tables (some ON DELETE CASCADE),
 * added columns, indexes, seed rows, a backfill now and then, and a 12-step rebuild every 25 migrations.
 */
export function generateHistory(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  const tables: string[] = [];
  // Spread changes over the tables like a real history does; a plain modulo piles them onto a few tables.
  const pick = (i: number) => tables[(i * 2654435761) % tables.length] ?? "t1";
  for (let i = 1; i <= n; i++) {
    const name = `${String(i).padStart(5, "0")}_step.sql`;
    const parts: string[] = [];
    if (i % 4 === 1 || tables.length === 0) {
      const t = `t${i}`;
      const parent = tables.length > 0 ? pick(i) : undefined;
      const fk = parent
        ? `,\n  ${parent}_id INTEGER REFERENCES ${parent} (id) ON DELETE ${i % 3 === 0 ? "CASCADE" : "SET NULL"}`
        : "";
      parts.push(
        `-- ${t}: created by migration ${i}\nCREATE TABLE ${t} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL DEFAULT '',\n  status TEXT,\n  created_at TEXT NOT NULL DEFAULT (datetime('now'))${fk}\n);`,
        `CREATE INDEX idx_${t}_status ON ${t} (status);`,
        `INSERT INTO ${t} (name, status) VALUES ('a', 'new'), ('b', 'new'), ('c', 'done');`,
      );
      tables.push(t);
    } else if (i % 25 === 0) {
      const t = pick(i);
      parts.push(
        "PRAGMA defer_foreign_keys = on;",
        `CREATE TABLE ${t}_new AS SELECT * FROM ${t} WHERE 0;`,
        `DROP TABLE ${t}_new;`,
        `ALTER TABLE ${t} ADD COLUMN note_${i} TEXT;`,
      );
    } else if (i % 4 === 2) {
      const t = pick(i);
      parts.push(`ALTER TABLE ${t} ADD COLUMN c${i} TEXT DEFAULT 'x';`, `CREATE INDEX idx_${t}_c${i} ON ${t} (c${i});`);
    } else if (i % 4 === 3) {
      const t = pick(i);
      parts.push(`UPDATE ${t} SET status = 'done' WHERE status = 'new' AND id < 3;`);
    } else {
      // One trigger per table, on the newest one, as audit/updated_at triggers usually arrive.
      const t = tables[tables.length - 1] ?? "t1";
      parts.push(
        `CREATE TRIGGER trg_${i} AFTER INSERT ON ${t} BEGIN\n  UPDATE ${t} SET status = 'new' WHERE id = new.id AND status IS NULL;\nEND;`,
        `INSERT INTO ${t} (name) VALUES ('d${i}');`,
      );
    }
    files[name] = `${parts.join("\n")}\n`;
  }
  return files;
}

function writeHistory(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), `blastwall-bench-check-${n}-`));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "bench"\nmain = "src/index.ts"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "bench"\ndatabase_id = "x"\n`,
  );
  mkdirSync(join(dir, "migrations"));
  for (const [name, sql] of Object.entries(generateHistory(n))) writeFileSync(join(dir, "migrations", name), sql);
  return dir;
}

/** Baseline: what wrangler does locally, roughly: exec each file on a fresh SQLite, no analysis. */
function rawReplay(dir: string): void {
  const db = new Database(":memory:");
  const m = join(dir, "migrations");
  for (const name of listMigrationFiles(m)) db.exec(readFileSync(join(m, name), "utf8"));
  db.close();
}

interface Sample {
  wall: number;
  cpu: number;
}

/**
 * Fastest wall and CPU seconds of `rounds` runs: on a shared 2-core machine other sessions only ever add time, so
 * the minimum is the least disturbed measurement. CPU time is this process's own.
 */
async function timed(fn: () => unknown, rounds: number): Promise<Sample> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: Math.min(...wall), cpu: Math.min(...cpu) };
}

/** Whole-check sizes: [migrations, TypeScript files]. */
const WHOLE: [number, number][] = [
  [500, 1000],
  [1000, 2000],
];

/** `blastwall check` on generated histories of 250, 500 and 1,000 migrations, against a raw replay of the same SQL. */
export default defineBench({
  name: "check",
  description:
    "blastwall check, the whole gate (every analyzer; the D1 one splits, replays, diffs the schema per statement and runs the rules), on generated projects with 250/500/1000 migrations vs raw better-sqlite3 exec of the same files (the SQLite floor); wall and CPU time, scaling, peak RSS; and the whole gate (every analyzer) on 500 migrations + 1,000 TypeScript files vs 1,000 + 2,000",
  run: async () => {
    const sizes = [250, 500, 1000];
    const check: Record<number, Sample> = {};
    const raw: Record<number, Sample> = {};
    const rss: Record<number, number> = {};
    const d1Only: Record<number, Sample> = {};
    for (const n of sizes) {
      const dir = writeHistory(n);
      try {
        // Warm-up run (module loading, JIT), then the fastest of 5.
        // The whole gate (every analyzer), as `blastwall check` runs it; the history's Worker has no code to read.
        const first = await runCheck(dir);
        if (first.migrations.length !== n)
          throw new Error(`expected ${n} migrations, analysed ${first.migrations.length}`);
        check[n] = await timed(() => runCheck(dir), 5);
        d1Only[n] = await timed(() => runCheck(dir, { analyzers: [d1Analyzer] }), 3);
        raw[n] = await timed(() => rawReplay(dir), 5);
        // maxRSS is the process peak so far (KiB); sizes run in ascending order, so it is this size's peak.
        rss[n] = process.resourceUsage().maxRSS / 1024;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // The whole gate, every analyzer, on a project holding both a migration history and a large Worker (issue 7).
    const whole: Record<number, Sample> = {};
    for (const [migrations, files] of WHOLE) {
      const root = mkdtempSync(join(tmpdir(), `blastwall-bench-whole-${migrations}-`));
      try {
        renameSync(writeHistory(migrations), join(root, "db"));
        generateCodeProject({ files, dir: join(root, "app") });
        await runCheck(root);
        whole[migrations] = await timed(() => runCheck(root), 3);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    const at = (m: Record<number, Sample>, n: number, k: keyof Sample) => m[n]?.[k] ?? Number.NaN;
    // What blastwall adds on top of SQLite executing the same SQL.
    const extra = (n: number) => at(check, n, "cpu") - at(raw, n, "cpu");
    return [
      ...sizes.map((n) => ({ name: `seconds_${n}_migrations`, value: round(at(check, n, "wall"), 3), unit: "s" })),
      { name: "scaling_ratio_2x", value: round(at(check, 1000, "wall") / at(check, 500, "wall"), 2), unit: "ratio" },
      {
        name: "scaling_ratio_2x_small",
        value: round(at(check, 500, "wall") / at(check, 250, "wall"), 2),
        unit: "ratio",
      },
      ...sizes.map((n) => ({ name: `cpu_seconds_${n}_migrations`, value: round(at(check, n, "cpu"), 3), unit: "s" })),
      { name: "cpu_scaling_ratio_2x", value: round(at(check, 1000, "cpu") / at(check, 500, "cpu"), 2), unit: "ratio" },
      ...sizes.map((n) => ({
        name: `raw_sqlite_cpu_seconds_${n}_migrations`,
        value: round(at(raw, n, "cpu"), 3),
        unit: "s",
      })),
      {
        name: "raw_sqlite_scaling_ratio_2x",
        value: round(at(raw, 1000, "cpu") / at(raw, 500, "cpu"), 2),
        unit: "ratio",
      },
      { name: "analysis_cpu_scaling_ratio_2x", value: round(extra(1000) / extra(500), 2), unit: "ratio" },
      ...sizes.map((n) => ({
        name: `d1_analyzer_only_seconds_${n}_migrations`,
        value: round(at(d1Only, n, "wall"), 3),
        unit: "s",
      })),
      { name: "seconds_whole_check_1000_migrations_2000_files", value: round(at(whole, 1000, "wall"), 3), unit: "s" },
      { name: "seconds_whole_check_500_migrations_1000_files", value: round(at(whole, 500, "wall"), 3), unit: "s" },
      {
        name: "whole_check_scaling_ratio_2x",
        value: round(at(whole, 1000, "wall") / at(whole, 500, "wall"), 2),
        unit: "ratio",
      },
      ...sizes.map((n) => ({ name: `peak_rss_mb_${n}_migrations`, value: round(rss[n] ?? Number.NaN, 1), unit: "MB" })),
    ];
  },
});
