import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
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

/**
 * A history that keeps changing a fixed set of 40 tables, as a mature app does: columns added and later dropped,
 * indexes made and removed, backfills, views and triggers across tables, and a drizzle-style rebuild (create
 * `__new_t`, copy, drop, rename) every 25 migrations. The schema stays about the same size however long it gets.
 */
export function generateFixedHistory(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  const TABLES = 40;
  const name = (i: number) => `${String(i).padStart(5, "0")}_step.sql`;
  const table = (k: number) => `f${k}`;
  const base = (k: number) => {
    const parent = k > 1 ? table(1 + ((k * 7) % (k - 1))) : undefined;
    const action = ["CASCADE", "SET NULL", "NO ACTION"][k % 3];
    const fk = parent ? `,\n  parent_id INTEGER REFERENCES ${parent} (id) ON DELETE ${action}` : "";
    return `id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL DEFAULT '',\n  status TEXT${fk}`;
  };
  // Columns added but not yet dropped, per table, oldest first.
  const extra = new Map<number, string[]>();
  for (let i = 1; i <= n; i++) {
    const parts: string[] = [];
    if (i <= TABLES) {
      const t = table(i);
      parts.push(
        `CREATE TABLE ${t} (\n  ${base(i)}\n);`,
        `INSERT INTO ${t} (name, status) VALUES ('a', 'new'), ('b', 'done');`,
      );
      if (i % 10 === 0)
        parts.push(
          `CREATE VIEW v_${t} AS SELECT a.id, a.name, b.status FROM ${t} a JOIN ${table(i - 1)} b ON b.id = a.id;`,
          `CREATE TRIGGER trg_${t} AFTER UPDATE ON ${t} BEGIN\n  UPDATE ${table(i - 1)} SET status = 'touched' WHERE id = new.id;\nEND;`,
        );
    } else {
      const k = 1 + ((i * 2654435761) % TABLES);
      const t = table(k);
      const cols = extra.get(k) ?? [];
      extra.set(k, cols);
      if (i % 25 === 0) {
        // drizzle's rebuild: the table comes back with its base columns only.
        parts.push(
          "PRAGMA foreign_keys=OFF;",
          `CREATE TABLE __new_${t} (\n  ${base(k)}\n);`,
          `INSERT INTO __new_${t} (id, name, status${k > 1 ? ", parent_id" : ""}) SELECT id, name, status${k > 1 ? ", parent_id" : ""} FROM ${t};`,
          `DROP TABLE ${t};`,
          `ALTER TABLE __new_${t} RENAME TO ${t};`,
          "PRAGMA foreign_keys=ON;",
        );
        cols.length = 0;
      } else if (cols.length >= 3 || i % 5 === 4) {
        const c = cols.shift();
        if (c) parts.push(`DROP INDEX IF EXISTS idx_${t}_${c};`, `ALTER TABLE ${t} DROP COLUMN ${c};`);
        else parts.push(`UPDATE ${t} SET status = 'done' WHERE status = 'new';`);
      } else if (i % 5 === 2) {
        parts.push(`UPDATE ${t} SET status = 'new' WHERE id = 1;`);
      } else {
        const c = `c${i}`;
        cols.push(c);
        parts.push(`ALTER TABLE ${t} ADD COLUMN ${c} TEXT;`, `CREATE INDEX idx_${t}_${c} ON ${t} (${c});`);
      }
    }
    files[name(i)] = `${parts.join("\n")}\n`;
  }
  return files;
}

type Generator = (n: number) => Record<string, string>;

function writeHistory(n: number, generate: Generator = generateHistory): string {
  const dir = mkdtempSync(join(tmpdir(), `blastwall-bench-check-${n}-`));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "bench"\nmain = "src/index.ts"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "bench"\ndatabase_id = "x"\n`,
  );
  mkdirSync(join(dir, "migrations"));
  for (const [name, sql] of Object.entries(generate(n))) writeFileSync(join(dir, "migrations", name), sql);
  return dir;
}

/** Baseline: what wrangler does locally, roughly: exec each file on one SQLite database, no analysis. */
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

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Seconds spent inside better-sqlite3's calls (prepare, exec, pragma, run, get, all, close) while `fn` runs, by
 * wrapping them with a clock for that run only; nested calls (pragma → prepare → all) count once. Opening a database
 * is not wrapped (about 10 µs each).
 */
async function insideSqlite(fn: () => unknown): Promise<{ inside: number; total: number }> {
  const probe = new Database(":memory:");
  const statement = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<string, Method>;
  probe.close();
  const database = Database.prototype as unknown as Record<string, Method>;
  const patched: [Record<string, Method>, string, Method][] = [];
  let depth = 0;
  let spent = 0;
  const wrap = (proto: Record<string, Method>, key: string) => {
    const original = proto[key];
    if (!original) return;
    patched.push([proto, key, original]);
    proto[key] = function (this: unknown, ...args: unknown[]) {
      if (depth++ > 0) return original.apply(this, args);
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        spent += performance.now() - t0;
        depth = 0;
      }
    };
  };
  for (const key of ["prepare", "exec", "pragma", "close"]) wrap(database, key);
  for (const key of ["run", "get", "all"]) wrap(statement, key);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    for (const [proto, key, original] of patched) proto[key] = original;
  }
  return { inside: spent / 1000, total: (performance.now() - t0) / 1000 };
}

interface Condition {
  check: Sample;
  raw: Sample;
  /** From the least disturbed of 3 instrumented runs: seconds inside SQLite calls, and the rest. */
  sqlite: number;
  own: number;
  rss: number;
}

const SIZES = [250, 500, 1000, 2000];

async function measure(n: number, generate: Generator): Promise<Condition> {
  const dir = writeHistory(n, generate);
  try {
    // Warm-up run (module loading, JIT), then the fastest of a few.
    const first = await runCheck(dir);
    if (first.migrations.length !== n) throw new Error(`expected ${n} migrations, analysed ${first.migrations.length}`);
    const rounds = n >= 2000 ? 3 : 5;
    const check = await timed(() => runCheck(dir), rounds);
    const raw = await timed(() => rawReplay(dir), rounds);
    // Runs with a clock around every SQLite call, split within the same run: SQLite's share and blastwall's own.
    const split: { inside: number; total: number }[] = [];
    for (let i = 0; i < 3; i++) split.push(await insideSqlite(() => runCheck(dir)));
    const best = split.reduce((a, b) => (b.total < a.total ? b : a));
    // maxRSS is the process peak so far (KiB); sizes run in ascending order, so it is this size's peak.
    return {
      check,
      raw,
      sqlite: best.inside,
      own: best.total - best.inside,
      rss: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whole-check sizes: [migrations, TypeScript files]. */
const WHOLE: [number, number][] = [
  [500, 1000],
  [1000, 2000],
];

async function wholeGate(): Promise<Record<number, Sample>> {
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
  return whole;
}

type Row = { name: string; value: number; unit: string };

/** One condition's rows: seconds per size, the check ÷ raw-exec ratio, and the growth of each part per 2× input. */
function conditionRows(prefix: string, m: Record<number, Condition>): Row[] {
  const get = (n: number) =>
    m[n] ?? { check: { wall: NaN, cpu: NaN }, raw: { wall: NaN, cpu: NaN }, sqlite: NaN, own: NaN, rss: NaN };
  const own = (n: number) => get(n).own;
  const rows: Row[] = [];
  for (const n of SIZES) {
    const c = get(n);
    rows.push(
      { name: `${prefix}seconds_${n}_migrations`, value: round(c.check.wall, 3), unit: "s" },
      { name: `${prefix}cpu_seconds_${n}_migrations`, value: round(c.check.cpu, 3), unit: "s" },
      { name: `${prefix}raw_sqlite_cpu_seconds_${n}_migrations`, value: round(c.raw.cpu, 3), unit: "s" },
      { name: `${prefix}ratio_to_raw_sqlite_${n}_migrations`, value: round(c.check.cpu / c.raw.cpu, 2), unit: "ratio" },
      { name: `${prefix}inside_sqlite_seconds_${n}_migrations`, value: round(c.sqlite, 3), unit: "s" },
      { name: `${prefix}blastwall_own_seconds_${n}_migrations`, value: round(own(n), 3), unit: "s" },
      { name: `${prefix}peak_rss_mb_${n}_migrations`, value: round(c.rss, 1), unit: "MB" },
    );
  }
  const growth = (label: string, f: (n: number) => number) =>
    SIZES.slice(1).map((n) => ({
      name: `${prefix}${label}_ratio_${n / 2}_to_${n}`,
      value: round(f(n) / f(n / 2), 2),
      unit: "ratio",
    }));
  rows.push(
    ...growth("scaling", (n) => get(n).check.wall),
    ...growth("cpu_scaling", (n) => get(n).check.cpu),
    ...growth("raw_sqlite_scaling", (n) => get(n).raw.cpu),
    ...growth("inside_sqlite_scaling", (n) => get(n).sqlite),
    ...growth("blastwall_own_scaling", own),
  );
  return rows;
}

/**
 * The D1 analyzer on generated histories of 250 to 2,000 migrations under two conditions (a schema that grows with
 * the history, and a fixed set of 40 tables altered over and over), each against raw better-sqlite3 exec of the same
 * files in the same process; and the whole gate on 1,000 migrations + 2,000 TypeScript files vs 500 + 1,000.
 */
export default defineBench({
  name: "check",
  description:
    "blastwall check's D1 analyzer (split, replay on SQLite, per-statement schema diff, rules) on generated histories of 250/500/1000/2000 migrations, two conditions: growing (a table per 4 migrations, indexes, triggers; the schema grows with the history) and fixed_ (40 tables altered over and over: columns added and dropped, indexes, views, triggers, drizzle rebuilds). Baseline: raw better-sqlite3 exec of the same files on one database, same process. inside_sqlite = time inside better-sqlite3 calls during check and blastwall_own = the rest of the same run (least disturbed of 3 instrumented runs). Growth ratios per 2× input. Then the whole gate (every analyzer) on 500 migrations + 1,000 TypeScript files vs 1,000 + 2,000",
  run: async () => {
    const growing: Record<number, Condition> = {};
    const fixed: Record<number, Condition> = {};
    for (const n of SIZES) growing[n] = await measure(n, generateHistory);
    for (const n of SIZES) fixed[n] = await measure(n, generateFixedHistory);
    const whole = await wholeGate();
    const at = (n: number) => whole[n]?.wall ?? Number.NaN;
    return [
      ...conditionRows("", growing),
      ...conditionRows("fixed_", fixed),
      { name: "seconds_whole_check_500_migrations_1000_files", value: round(at(500), 3), unit: "s" },
      { name: "seconds_whole_check_1000_migrations_2000_files", value: round(at(1000), 3), unit: "s" },
      { name: "whole_check_scaling_ratio_2x", value: round(at(1000) / at(500), 2), unit: "ratio" },
    ];
  },
});
