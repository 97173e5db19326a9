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
import { type BenchResult, defineBench, median, pairedRatios, round, type Spread } from "./lib.js";

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

/** Wall and CPU seconds of one run. CPU time is this process's own, so it leads: other jobs add mostly wall time. */
async function once(fn: () => unknown): Promise<Sample> {
  const c0 = cpuNow();
  const t0 = performance.now();
  await fn();
  return { wall: (performance.now() - t0) / 1000, cpu: cpuNow() - c0 };
}

/** The median wall and CPU seconds of some runs: one disturbed run does not set the figure. */
const medianOf = (runs: readonly Sample[]): Sample => ({
  wall: median(runs.map((r) => r.wall)),
  cpu: median(runs.map((r) => r.cpu)),
});

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
  /** Every timed run in round order: run r of each size was taken in the same round, so runs pair up across sizes. */
  check: Sample[];
  raw: Sample[];
  /** From the least disturbed of 3 instrumented runs: seconds inside SQLite calls, and the rest. */
  sqlite: number;
  own: number;
  rss: number;
}

const SIZES = [250, 500, 1000, 2000];
/** Timed rounds of each size; odd, so every median is one of the runs. */
const ROUNDS = 5;

/**
 * One condition at every size. The first run of each size, in ascending order, warms up (module loading, JIT) and
 * reads the peak RSS (the process peak so far, hence this size's). Then ROUNDS rounds run each size once (check, then
 * raw exec), ascending in even rounds and descending in odd ones: drift on the shared machine hits neighbouring
 * sizes alike, and run r of a size pairs with run r of the size twice as large.
 */
async function measureCondition(generate: Generator): Promise<Record<number, Condition>> {
  const dirs = SIZES.map((n) => writeHistory(n, generate));
  try {
    const rss: number[] = [];
    for (const [i, n] of SIZES.entries()) {
      const first = await runCheck(dirs[i] ?? "");
      if (first.migrations.length !== n)
        throw new Error(`expected ${n} migrations, analysed ${first.migrations.length}`);
      rss.push(process.resourceUsage().maxRSS / 1024);
    }
    const check: Sample[][] = SIZES.map(() => []);
    const raw: Sample[][] = SIZES.map(() => []);
    const up = [...SIZES.keys()];
    for (let r = 0; r < ROUNDS; r++) {
      for (const i of r % 2 === 0 ? up : [...up].reverse()) {
        const dir = dirs[i] ?? "";
        check[i]?.push(await once(() => runCheck(dir)));
        raw[i]?.push(await once(() => rawReplay(dir)));
      }
    }
    const out: Record<number, Condition> = {};
    for (const [i, n] of SIZES.entries()) {
      // Runs with a clock around every SQLite call, split within the same run: SQLite's share and blastwall's own.
      const split: { inside: number; total: number }[] = [];
      for (let k = 0; k < 3; k++) split.push(await insideSqlite(() => runCheck(dirs[i] ?? "")));
      const best = split.reduce((a, b) => (b.total < a.total ? b : a));
      out[n] = {
        check: check[i] ?? [],
        raw: raw[i] ?? [],
        sqlite: best.inside,
        own: best.total - best.inside,
        rss: rss[i] ?? Number.NaN,
      };
    }
    return out;
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** Whole-check sizes: [migrations, TypeScript files]. */
const WHOLE: [number, number][] = [
  [500, 1000],
  [1000, 2000],
];
/** Odd, so every median is one of the runs; seven pairs give the growth a range worth reading. */
const WHOLE_ROUNDS = 7;

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
 * hits both alike: WHOLE_ROUNDS runs of each size after one warm-up each, in round order, so run r of the small
 * size pairs with run r of the large one. No forced GC between runs: one before each run (a fresh process's heap)
 * adds a fixed cost per run that lowered the growth (×1.81 against ×1.95 in one trial), i.e. measures something else.
 */
async function wholeGate(): Promise<WholeRun[][]> {
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
  return runs;
}

/** Per size, the median of each measure over its runs. */
const wholeMedians = (runs: readonly WholeRun[]): WholeRun => {
  const keys = new Set(runs.flatMap((run) => Object.keys(run)));
  return Object.fromEntries([...keys].map((k) => [k, median(runs.map((run) => run[k] ?? Number.NaN))]));
};

/** `<name>_paired_median`, `_paired_min` and `_paired_max`: the growth of paired runs and its range. */
const pairedRows = (name: string, spread: Spread): Row[] => [
  { name: `${name}_paired_median`, value: round(spread.median, 2), unit: "ratio" },
  { name: `${name}_paired_min`, value: round(spread.min, 2), unit: "ratio" },
  { name: `${name}_paired_max`, value: round(spread.max, 2), unit: "ratio" },
];

/**
 * Whole-gate rows: per size the median of each measure; each measure's growth from the small size to the large one
 * as the ratio of those medians, and as the median and range of the paired runs' ratios.
 */
function wholeRows(runs: WholeRun[][]): Row[] {
  const whole = runs.map(wholeMedians);
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
  const of = (i: number, key: string) => (runs[i] ?? []).map((run) => run[key] ?? Number.NaN);
  const measures: [string, string][] = [
    ["whole_check_cpu_scaling_ratio_2x", "cpu"],
    ["whole_check_scaling_ratio_2x", "wall"],
    ["whole_bare_cpu_scaling_ratio_2x", "bare"],
    ["whole_gc_pause_scaling_ratio_2x", "gc"],
    ...PHASES.map((phase): [string, string] => [`whole_${phase}_cpu_scaling_ratio_2x`, phase]),
  ];
  rows.push(...measures.map(([name, key]) => ({ name, value: growth(key), unit: "ratio" })));
  for (const [name, key] of measures) rows.push(...pairedRows(name, pairedRatios(of(0, key), of(1, key))));
  return rows;
}

/** Phases of the whole gate: each analyzer by name, and the rest (discovery, baseline, parking, sorting). */
const PHASES = [...analyzers.map((a) => a.name.replace(/\W+/g, "_")), "rest"];

type Row = { name: string; value: number; unit: string };

/**
 * One condition's rows: per size the median seconds, the check ÷ raw-exec ratio and the instrumented split; then the
 * growth of each part per 2× input as the ratio of medians, and for check and raw exec also as the median and range of
 * the paired runs' ratios.
 */
function conditionRows(prefix: string, m: Record<number, Condition>): Row[] {
  const get = (n: number) => m[n] ?? { check: [], raw: [], sqlite: NaN, own: NaN, rss: NaN };
  const check = (n: number) => medianOf(get(n).check);
  const raw = (n: number) => medianOf(get(n).raw);
  const own = (n: number) => get(n).own;
  const rows: Row[] = [];
  for (const n of SIZES) {
    const c = get(n);
    rows.push(
      { name: `${prefix}seconds_${n}_migrations`, value: round(check(n).wall, 3), unit: "s" },
      { name: `${prefix}cpu_seconds_${n}_migrations`, value: round(check(n).cpu, 3), unit: "s" },
      { name: `${prefix}raw_sqlite_cpu_seconds_${n}_migrations`, value: round(raw(n).cpu, 3), unit: "s" },
      {
        name: `${prefix}ratio_to_raw_sqlite_${n}_migrations`,
        value: round(check(n).cpu / raw(n).cpu, 2),
        unit: "ratio",
      },
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
  const paired = (label: string, runs: (n: number) => number[]) =>
    SIZES.slice(1).flatMap((n) =>
      pairedRows(`${prefix}${label}_ratio_${n / 2}_to_${n}`, pairedRatios(runs(n / 2), runs(n))),
    );
  rows.push(
    ...growth("scaling", (n) => check(n).wall),
    ...growth("cpu_scaling", (n) => check(n).cpu),
    ...growth("raw_sqlite_scaling", (n) => raw(n).cpu),
    ...growth("inside_sqlite_scaling", (n) => get(n).sqlite),
    ...growth("blastwall_own_scaling", own),
    ...paired("cpu_scaling", (n) => get(n).check.map((r) => r.cpu)),
    ...paired("scaling", (n) => get(n).check.map((r) => r.wall)),
    ...paired("raw_sqlite_scaling", (n) => get(n).raw.map((r) => r.cpu)),
  );
  return rows;
}

/** What issue 15 asks of the gate: 1,000 migrations in at most 5 s, growing at most ×2.2 per 2× input. */
const ISSUE = { seconds: 5, growth: 2.2 };

/**
 * The headline, in words: the whole gate's CPU time and its paired growth with the range, per condition, then what
 * the CPU figure leaves out (wall, GC pauses).
 */
function summarize(results: BenchResult[]): string[] {
  const v = (name: string) => results.find((r) => r.name === name)?.value ?? Number.NaN;
  const x = (n: number) => `×${n.toFixed(2)}`;
  const spread = (name: string) =>
    `${x(v(`${name}_paired_median`))} (${x(v(`${name}_paired_min`))}–${x(v(`${name}_paired_max`))})`;
  const verdict = (seconds: number, growth: string) => {
    const median = v(`${growth}_paired_median`);
    const max = v(`${growth}_paired_max`);
    const met = seconds <= ISSUE.seconds && median <= ISSUE.growth;
    const tail = met && max > ISSUE.growth ? `, though the slowest pair reached ${x(max)}` : "";
    return `issue 15 (≤ ${ISSUE.seconds} s, ≤ ${x(ISSUE.growth)} per 2× input): ${met ? "met" : "NOT met"} by the medians${tail}`;
  };
  const lines: string[] = [];
  const whole = "whole_check_cpu_scaling_ratio_2x";
  if (results.some((r) => r.name === whole)) {
    const cpu = v("whole_cpu_seconds_1000_migrations_2000_files");
    lines.push(
      `whole gate, CPU time: 1,000 migrations + 2,000 TypeScript files ${cpu.toFixed(2)} s (500 + 1,000: ${v("whole_cpu_seconds_500_migrations_1000_files").toFixed(2)} s), medians of ${WHOLE_ROUNDS}; growth per 2× input ${spread(whole)}, median (range) of ${WHOLE_ROUNDS} paired runs; ${verdict(cpu, whole)}`,
      `  per phase: ${PHASES.map((p) => `${p} ${spread(`whole_${p}_cpu_scaling_ratio_2x`)}`).join(", ")}; bare exec + parse baseline ${spread("whole_bare_cpu_scaling_ratio_2x")}`,
      `  left out of the CPU figure: wall time ${spread("whole_check_scaling_ratio_2x")} (adds waiting for the shared cores), main-thread GC pauses ${spread("whole_gc_pause_scaling_ratio_2x")} (wall-clock; their work is inside the CPU figure, not subtracted)`,
    );
  }
  for (const [label, prefix] of [
    ["D1 analyzer, growing schema", ""],
    ["D1 analyzer, fixed 40-table schema", "fixed_"],
  ]) {
    const growth = `${prefix}cpu_scaling_ratio_1000_to_2000`;
    if (!results.some((r) => r.name === growth)) continue;
    const cpu = v(`${prefix}cpu_seconds_1000_migrations`);
    lines.push(
      `${label}, CPU time: 1,000 migrations ${cpu.toFixed(2)} s, median of ${ROUNDS}; growth 500→1,000 ${spread(`${prefix}cpu_scaling_ratio_500_to_1000`)}, 1,000→2,000 ${spread(growth)}; raw SQLite exec 1,000→2,000 ${spread(`${prefix}raw_sqlite_scaling_ratio_1000_to_2000`)}; ${verdict(cpu, growth)}`,
    );
  }
  return lines;
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
    "blastwall check's D1 analyzer (split, replay on SQLite, per-statement schema diff, rules) on generated histories of 250/500/1000/2000 migrations, two conditions: growing (a table per 4 migrations, indexes, triggers; the schema grows with the history) and fixed_ (40 tables altered over and over: columns added and dropped, indexes, views, triggers, drizzle rebuilds). Baseline: raw better-sqlite3 exec of the same files on one database, same process. Sizes interleaved (ascending, then descending, …) over 5 rounds after a warm-up each; median per size, CPU time leading. inside_sqlite = time inside better-sqlite3 calls during check and blastwall_own = the rest of the same run (least disturbed of 3 instrumented runs). Growth per 2× input as the ratio of the medians, and (_paired_median/_min/_max) as the median and range of the ratios of the runs taken in the same round. Then whole_: the whole gate (every analyzer) on 500 migrations + 1,000 TypeScript files vs 1,000 + 2,000, sizes interleaved, 7 rounds, medians and paired growth the same way: CPU per phase (each analyzer, rest = discovery + baseline + sorting), main-thread GC pauses, and a bare baseline in the same process (raw exec of the migrations + ts.createSourceFile of the files). CPU = user + system of this process, every thread, GC work included; wall and GC pauses are reported beside it, not in it. BLASTWALL_BENCH_CHECK=growing,fixed,whole picks parts",
  summary: summarize,
  run: async () => {
    const parts = (process.env.BLASTWALL_BENCH_CHECK ?? "growing,fixed,whole").split(",");
    const rows: Row[] = [];
    for (const [part, prefix, generate] of [
      ["growing", "", generateHistory],
      ["fixed", "fixed_", generateFixedHistory],
    ] as const) {
      if (!parts.includes(part)) continue;
      rows.push(...conditionRows(prefix, await measureCondition(generate)));
    }
    if (parts.includes("whole")) rows.push(...wholeRows(await wholeGate()));
    return rows;
  },
});
