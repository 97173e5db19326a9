import { join, relative } from "node:path";
import Database from "better-sqlite3";
import { listMigrationFiles } from "../../project/d1-migrations.js";
import { relativeTo } from "../../project/discover.js";
import { type DrizzleOut, drizzleConfigsUnder } from "../../project/drizzle-config.js";
import { type DrizzleBase, type MigrationsDir, readMigration } from "./migrations.js";

const slash = (p: string) => p.split("\\").join("/");
/** drizzle-kit's own migration names (`0000_init.sql`, `20250101_x/migration.sql`); other files are seeds or notes. */
const NUMBERED = /^\d+[_-]/;

/** Runs the folder's numbered files in order on a scratch database, each on top of those that applied. */
function replayFolder(
  config: DrizzleOut,
  dir: MigrationsDir,
): Omit<DrizzleBase, "config" | "folder" | "provides"> & {
  tables: Set<string>;
} {
  const db = new Database(":memory:");
  const applied: string[] = [];
  const skipped: { name: string; error: string }[] = [];
  const parts: string[] = [];
  try {
    for (const name of listMigrationFiles(config.dir, dir.order, config.pattern).filter((n) => NUMBERED.test(n))) {
      const { text, unreadable } = readMigration(join(config.dir, name));
      if (unreadable) continue;
      db.exec("SAVEPOINT base_file");
      try {
        db.exec(text);
        db.exec("RELEASE base_file");
        applied.push(name);
        parts.push(text);
      } catch (err) {
        db.exec("ROLLBACK TO base_file; RELEASE base_file");
        skipped.push({ name, error: (err as Error).message });
      }
    }
    const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[];
    return {
      applied,
      skipped,
      sql: parts.join(";\n"),
      tables: new Set(rows.map((r) => r.name.toLowerCase())),
      ...(config.driver ? { driver: config.driver } : {}),
    };
  } finally {
    db.close();
  }
}

/**
 * The drizzle folder of the project (other than `dir` itself) that creates the most of the `missing` tables, run as
 * a base schema; undefined when none creates any.
 *
 * @example
 * drizzleBaseFor(dir, "/repo", new Set(["users"]))?.folder; // "packages/db/migrations"
 */
export function drizzleBaseFor(
  dir: MigrationsDir,
  root: string,
  missing: ReadonlySet<string>,
): DrizzleBase | undefined {
  let best: DrizzleBase | undefined;
  for (const config of drizzleConfigsUnder(root)) {
    if (relative(config.dir, dir.dir) === "") continue;
    let run: ReturnType<typeof replayFolder>;
    try {
      run = replayFolder(config, dir);
    } catch {
      continue;
    }
    const { tables, ...rest } = run;
    const provides = [...missing].filter((t) => tables.has(t));
    if (provides.length === 0 || (best && best.provides.length >= provides.length)) continue;
    best = {
      ...rest,
      config: slash(relativeTo(root, config.config)),
      folder: slash(relativeTo(root, config.dir)),
      provides,
    };
  }
  return best;
}
