/**
 * The adoption trial (`npm run realworld:adopt`, not in CI: it needs the snapshots). Issue 15 asks that an app with
 * years of history checks clean after one baseline step and that the next new hazard fails. For each project of
 * manifest.json this runs, on an extracted copy:
 *
 * 1. `check --init` (writes blastwall.baseline.json), then `check`: no warning or error may be left;
 * 2. a new migration after the last one of the project's longest D1 history that drops a table the Worker's code
 *    names (a table no other table references, so the drop itself succeeds), then `check`: it must fail the gate
 *    with a finding on that new file.
 *
 * Projects with no D1 history, or whose code names none of its tables, take only step 1. Options as run.ts:
 * `--split`, `--round`, `--repo` (repeatable). Exits 1 when a project is not clean after its baseline or a new
 * hazard does not fail.
 *
 * @example
 * BLASTWALL_REALWORLD_MIRROR=<dir> npm run realworld:adopt -- --round 3
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { type Finding, failsGate, type MigrationSummary } from "../../src/check/findings.js";
import { runCheck } from "../../src/check/run-check.js";
import { createReplayer } from "../../src/check/sql/replay.js";
import { splitStatements } from "../../src/check/sql/split.js";
import { eachSnapshot, type Project } from "./snapshots.js";

interface Trial {
  repo: string;
  parked: number;
  /** Warnings and errors `check` still reports after the baseline step (the goal is none). */
  leftAfterBaseline: Finding[];
  /** The injected hazard, when the project has a D1 history whose tables its code names. */
  injected?: { file: string; table: string; caught: Finding[]; fails: boolean };
}

const reported = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.severity !== "info");
const SOURCE = /\.(ts|tsx|js|mjs|cjs|jsx)$/;
const SKIP_DIRS = new Set(["node_modules", ".git", ".wrangler", "dist", "build", ".next", "coverage"]);

/** Every source file's text under `dir`, outside installs and build output, for "does the code name it". */
function sourceText(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(join(d, e.name));
      else if (e.isFile() && SOURCE.test(e.name)) parts.push(readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(dir);
  return parts.join("\n");
}

/** The migration files of the longest D1 history, in replay order, relative to the project. */
function longestHistory(migrations: readonly MigrationSummary[]): string[] {
  const byDatabase = new Map<string, string[]>();
  for (const m of migrations) {
    const key = `${m.database ?? ""}\0${dirname(m.file)}`;
    byDatabase.set(key, [...(byDatabase.get(key) ?? []), m.file]);
  }
  return [...byDatabase.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

/** The table the code names most often among those the history leaves that no other table references. */
function tableToDrop(root: string, files: readonly string[], code: string): string | undefined {
  const replayer = createReplayer();
  try {
    for (const f of files)
      replayer.applyFile(basename(f), splitStatements(readFileSync(join(root, f), "utf8")).statements);
    const mentions = (name: string): number =>
      code.match(new RegExp(`["'\`\\s.(]${name.replace(/[$]/g, "\\$")}["'\`\\s,)]`, "gi"))?.length ?? 0;
    return [...replayer.tables.values()]
      .filter((t) => !/^(d1_migrations|_cf_|sqlite_)/i.test(t.name) && replayer.childrenOf(t.name).length === 0)
      .map((t) => ({ name: t.name, n: mentions(t.name) }))
      .filter((t) => t.n > 0)
      .sort((a, b) => b.n - a.n)[0]?.name;
  } finally {
    replayer.close();
  }
}

/**
 * Writes the next migration after `last`, numbered as the history numbers them: `0012_x.sql` → `0013_…sql`,
 * `0012_x/migration.sql` (one folder per migration) → `0013_…/migration.sql`; unnumbered names → `zzzz_…`, which
 * sorts after them.
 */
function writeNext(root: string, last: string, sql: string): string {
  const nested = basename(last) === "migration.sql";
  const stem = nested ? basename(dirname(last)) : basename(last);
  const digits = /^\d+/.exec(stem)?.[0] ?? "";
  const next = digits ? String(Number(digits) + 1).padStart(digits.length, "0") : "zzzz";
  const name = `${next}_blastwall_adoption_trial`;
  const rel = nested
    ? posix.join(dirname(dirname(last)), name, "migration.sql")
    : posix.join(dirname(last), `${name}.sql`);
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), sql);
  return rel;
}

async function trial(p: Project, root: string): Promise<Trial> {
  const init = await runCheck(root, { init: true });
  const after = await runCheck(root);
  const out: Trial = { repo: p.repo, parked: init.baseline?.parked ?? 0, leftAfterBaseline: reported(after.findings) };
  const files = longestHistory(after.migrations);
  const last = files.at(-1);
  const table = last ? tableToDrop(root, files, sourceText(root)) : undefined;
  if (!last || !table) return out;
  const file = writeNext(root, last, `DROP TABLE "${table}";\n`);
  const next = await runCheck(root);
  const caught = reported(next.findings).filter((f) => f.file === file && !f.parked);
  return { ...out, injected: { file, table, caught, fails: failsGate(next.findings) } };
}

function print(t: Trial): void {
  const left = t.leftAfterBaseline.map((f) => `${f.rule}@${f.file}:${f.line}`);
  const inj = t.injected
    ? `new hazard DROP TABLE ${t.injected.table}: ${t.injected.fails ? "fails" : "PASSES"} (${t.injected.caught.map((f) => `${f.severity} ${f.rule}`).join(", ") || "nothing on the new file"})`
    : "no D1 table the code names: baseline step only";
  console.log(
    `${t.repo.padEnd(56)} parked ${String(t.parked).padStart(3)}, left ${left.length ? `${left.length}: ${left.join(", ")}` : "0"}; ${inj}`,
  );
}

async function main(): Promise<number> {
  const trials: Trial[] = [];
  await eachSnapshot("blastwall-adopt-", async (p, root) => {
    const t = await trial(p, root);
    print(t);
    trials.push(t);
  });
  const injected = trials.flatMap((t) => (t.injected ? [t.injected] : []));
  const summary = {
    projects: trials.length,
    findingsParked: trials.reduce((n, t) => n + t.parked, 0),
    cleanAfterBaseline: trials.filter((t) => t.leftAfterBaseline.length === 0).length,
    newHazardsInjected: injected.length,
    newHazardsFailing: injected.filter((i) => i.fails && i.caught.length > 0).length,
  };
  console.log(JSON.stringify(summary, null, 2));
  return summary.cleanAfterBaseline === summary.projects && summary.newHazardsFailing === injected.length ? 0 : 1;
}

process.exitCode = await main();
