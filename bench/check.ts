import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import Database from "better-sqlite3";
import ts from "typescript";
import type { Analyzer } from "../src/check/analyzer.js";
import { analyzers } from "../src/check/analyzers.js";
import { listSources } from "../src/check/code/files.js";
import { listMigrationFiles } from "../src/check/d1/migrations.js";
import { runCheck } from "../src/check/run-check.js";
import { generateCodeProject } from "./gen/code-project.js";
import { defineBench, median, round } from "./lib.js";

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

/** CPU seconds this process spent (user + system, every thread: parse, SQLite and the GC's helpers). */
function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/**
 * Median wall and CPU seconds of `rounds` runs. CPU time is this process's own, so it leads: on a shared 2-core
 * machine other jobs add mostly wall time; the median keeps one disturbed run from setting the figure.
 */
async function timed(fn: () => unknown, rounds: number): Promise<Sample> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    await fn();
    wall.push((performance.now() - t0) / 1000);
    cpu.push(cpuNow() - c0);
  }
  return { wall: median(wall), cpu: median(cpu) };
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
    // Warm-up run (module loading, JIT), then the median of a few.
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
const WHOLE_ROUNDS = 5;

/** One whole-gate run: CPU seconds per analyzer, the rest (discovery, baseline, sorting), GC pauses, the baseline. */
type WholeRun = Record<string, number>;

function writeWholeProject([migrations, files]: [number, number]): string {
  const root = mkdtempSync(join(tmpdir(), `blastwall-bench-whole-${migrations}-`));
  renameSync(writeHistory(migrations), join(root, "db"));
  generateCodeProject({ files, dir: join(root, "app") });
  return root;
}

/** Baseline: the work the gate cannot skip, bare: raw exec of every migration, ts.createSourceFile of every file. */
function bareGate(root: string): void {
  rawReplay(join(root, "db"));
  for (const path of listSources(join(root, "app", "src")))
    ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
}

/** Main-thread GC pauses (seconds) since the last call; entries arrive after a turn of the event loop. */
function gcClock(): { observer: PerformanceObserver; take: () => Promise<number> } {
  let paused = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) paused += e.duration / 1000;
  });
  observer.observe({ entryTypes: ["gc"] });
  const take = async () => {
    await new Promise((r) => setTimeout(r, 10));
    const out = paused;
    paused = 0;
    return out;
  };
  return { observer, take };
}

/** The registered analyzers, each wrapped to add its CPU seconds to `into` under its name. */
function clockedAnalyzers(into: () => WholeRun): Analyzer[] {
  return analyzers.map((a) => ({
    name: a.name,
    analyze: async (ctx) => {
      const c0 = cpuNow();
      const out = await a.analyze(ctx);
      into()[a.name.replace(/\W+/g, "_")] = cpuNow() - c0;
      return out;
    },
  }));
}

async function wholeRun(root: string, clocked: Analyzer[], gc: () => Promise<number>, run: WholeRun): Promise<void> {
  await gc();
  const c0 = cpuNow();
  const t0 = performance.now();
  await runCheck(root, { analyzers: clocked });
  run.wall = (performance.now() - t0) / 1000;
  run.cpu = cpuNow() - c0;
  run.gc = await gc();
  run.rest = run.cpu - analyzers.reduce((sum, a) => sum + (run[a.name.replace(/\W+/g, "_")] ?? 0), 0);
  const b0 = cpuNow();
  bareGate(root);
  run.bare = cpuNow() - b0;
}

/**
 * The whole gate on both sizes, interleaved (small, large, then large, small, …) so drift on the shared machine
 * hits both alike; per size, the median of each measure over WHOLE_ROUNDS runs after one warm-up each.
 */
async function wholeGate(): Promise<WholeRun[]> {
  const roots = WHOLE.map(writeWholeProject);
  const runs: WholeRun[][] = WHOLE.map(() => []);
  let current: WholeRun = {};
  const clocked = clockedAnalyzers(() => current);
  const { observer, take } = gcClock();
  try {
    for (const root of roots) await runCheck(root, { analyzers: clocked });
    for (let r = 0; r < WHOLE_ROUNDS; r++) {
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        current = {};
        await wholeRun(roots[i] ?? "", clocked, take, current);
        runs[i]?.push(current);
      }
    }
  } finally {
    observer.disconnect();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  }
  return runs.map((list) => {
    const keys = new Set(list.flatMap((run) => Object.keys(run)));
    return Object.fromEntries([...keys].map((k) => [k, median(list.map((run) => run[k] ?? Number.NaN))]));
  });
}

/** Whole-gate rows: per size each measure, then each measure's growth from the small size to the large one. */
function wholeRows(whole: WholeRun[]): Row[] {
  const [small, large] = whole;
  const size = ([m, f]: [number, number]) => `${m}_migrations_${f}_files`;
  const rows: Row[] = [];
  for (const [i, dims] of WHOLE.entries()) {
    const w = whole[i] ?? {};
    rows.push(
      { name: `whole_cpu_seconds_${size(dims)}`, value: round(w.cpu ?? NaN, 3), unit: "s" },
      { name: `seconds_whole_check_${size(dims)}`, value: round(w.wall ?? NaN, 3), unit: "s" },
      { name: `whole_bare_cpu_seconds_${size(dims)}`, value: round(w.bare ?? NaN, 3), unit: "s" },
      { name: `whole_ratio_to_bare_${size(dims)}`, value: round((w.cpu ?? NaN) / (w.bare ?? NaN), 2), unit: "ratio" },
      { name: `whole_gc_pause_seconds_${size(dims)}`, value: round(w.gc ?? NaN, 3), unit: "s" },
    );
    for (const phase of PHASES)
      rows.push({ name: `whole_${phase}_cpu_seconds_${size(dims)}`, value: round(w[phase] ?? NaN, 3), unit: "s" });
  }
  const growth = (key: string) => round((large?.[key] ?? NaN) / (small?.[key] ?? NaN), 2);
  rows.push(
    { name: "whole_check_cpu_scaling_ratio_2x", value: growth("cpu"), unit: "ratio" },
    { name: "whole_check_scaling_ratio_2x", value: growth("wall"), unit: "ratio" },
    { name: "whole_bare_cpu_scaling_ratio_2x", value: growth("bare"), unit: "ratio" },
    { name: "whole_gc_pause_scaling_ratio_2x", value: growth("gc"), unit: "ratio" },
    ...PHASES.map((phase) => ({ name: `whole_${phase}_cpu_scaling_ratio_2x`, value: growth(phase), unit: "ratio" })),
  );
  return rows;
}

/** Phases of the whole gate: each analyzer by name, and the rest (discovery, baseline, parking, sorting). */
const PHASES = [...analyzers.map((a) => a.name.replace(/\W+/g, "_")), "rest"];

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
 * files in the same process; and the whole gate on 1,000 migrations + 2,000 TypeScript files vs 500 + 1,000, per
 * phase, against a bare exec + parse of the same input.
 */
export default defineBench({
  name: "check",
  description:
    "blastwall check's D1 analyzer (split, replay on SQLite, per-statement schema diff, rules) on generated histories of 250/500/1000/2000 migrations, two conditions: growing (a table per 4 migrations, indexes, triggers; the schema grows with the history) and fixed_ (40 tables altered over and over: columns added and dropped, indexes, views, triggers, drizzle rebuilds). Baseline: raw better-sqlite3 exec of the same files on one database, same process. Median of 5 runs (3 at 2,000), CPU time leading. inside_sqlite = time inside better-sqlite3 calls during check and blastwall_own = the rest of the same run (least disturbed of 3 instrumented runs). Growth ratios per 2× input. Then whole_: the whole gate (every analyzer) on 500 migrations + 1,000 TypeScript files vs 1,000 + 2,000, sizes interleaved, median of 5: CPU per phase (each analyzer, rest = discovery + baseline + sorting), main-thread GC pauses, and a bare baseline in the same process (raw exec of the migrations + ts.createSourceFile of the files). BLASTWALL_BENCH_CHECK=growing,fixed,whole picks parts",
  run: async () => {
    const parts = (process.env.BLASTWALL_BENCH_CHECK ?? "growing,fixed,whole").split(",");
    const rows: Row[] = [];
    for (const [part, prefix, generate] of [
      ["growing", "", generateHistory],
      ["fixed", "fixed_", generateFixedHistory],
    ] as const) {
      if (!parts.includes(part)) continue;
      const m: Record<number, Condition> = {};
      for (const n of SIZES) m[n] = await measure(n, generate);
      rows.push(...conditionRows(prefix, m));
    }
    if (parts.includes("whole")) rows.push(...wholeRows(await wholeGate()));
    return rows;
  },
});
