import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { entriesOf } from "./workspaces.js";

/** Where a drizzle-kit config writes its SQL migrations. */
export interface DrizzleOut {
  /** The drizzle config file (absolute). */
  config: string;
  /** `out` as written in it, e.g. "./drizzle". */
  out: string;
  /** The folder (absolute). */
  dir: string;
  /** `*\/migration.sql` when drizzle-kit writes one folder per migration (its v1 layout), else undefined (`*.sql`). */
  pattern?: string;
  /** `driver` when set, e.g. "d1-http": drizzle-kit applies the migrations itself. */
  driver?: string;
}

const NAMES = ["ts", "mts", "cts", "js", "mjs", "cjs", "json"].map((ext) => `drizzle.config.${ext}`);

/** A string-valued key of a config object: `out: "./drizzle"`, `"out": "./drizzle"`, ``out: `./drizzle` ``. */
function stringKey(text: string, key: string): string | undefined {
  return new RegExp(`(?:^|[\\s,{])["']?${key}["']?\\s*:\\s*(["'\`])([^"'\`\\n]+)\\1`, "m").exec(text)?.[2];
}

/** How the folder holds SQL: directly (`*.sql`), one folder per migration (`*\/migration.sql`), or not at all. */
export function sqlLayout(dir: string): "flat" | "nested" | undefined {
  const entries = entriesOf(dir);
  if (entries.length === 0) return undefined;
  if (entries.some((e) => e.isFile() && e.name.endsWith(".sql"))) return "flat";
  const nested = entries.some((e) => {
    if (!e.isDirectory()) return false;
    try {
      return readdirSync(join(dir, e.name)).includes("migration.sql");
    } catch {
      return false;
    }
  });
  return nested ? "nested" : undefined;
}

/** A drizzle-kit config file's `out` folder, when it holds SQL. Read as text: the config is not executed. */
export function readDrizzleConfig(path: string): DrizzleOut | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const out = stringKey(text, "out");
  if (!out) return undefined;
  const folder = resolve(dirname(path), out);
  const layout = sqlLayout(folder);
  if (!layout) return undefined;
  const driver = stringKey(text, "driver");
  return {
    config: path,
    out,
    dir: folder,
    ...(layout === "nested" ? { pattern: "*/migration.sql" } : {}),
    ...(driver ? { driver } : {}),
  };
}

/**
 * The drizzle-kit config nearest to `from` (that folder, then its parents up to `root`) and the SQL folder its
 * `out` names, when that folder holds migrations.
 *
 * @example
 * drizzleOut("/repo/apps/api", "/repo"); // { config: "/repo/apps/api/drizzle.config.ts", out: "./drizzle", dir: "/repo/apps/api/drizzle" }
 */
export function drizzleOut(from: string, root: string): DrizzleOut | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of NAMES) {
      const found = readDrizzleConfig(join(dir, name));
      if (found) return found;
    }
    if (relative(root, dir) === "" || dirname(dir) === dir || relative(root, dir).startsWith("..")) return undefined;
  }
}

/** Folders a project search never enters: installs, build output, VCS and tool state. */
const SKIPPED = new Set(["node_modules", "dist", "build", "coverage", "out"]);

/**
 * Every drizzle-kit config in the project (a monorepo keeps one per package), up to `depth` folders down, with an
 * `out` folder of SQL.
 *
 * @example
 * drizzleConfigsUnder("/repo"); // [{ config: "/repo/packages/db/drizzle.config.ts", out: "./migrations", driver: "d1-http", … }]
 */
export function drizzleConfigsUnder(root: string, depth = 4): DrizzleOut[] {
  const found: DrizzleOut[] = [];
  const visit = (dir: string, left: number) => {
    for (const e of entriesOf(dir)) {
      if (e.isFile() && NAMES.includes(e.name)) {
        const config = readDrizzleConfig(join(dir, e.name));
        if (config) found.push(config);
      } else if (e.isDirectory() && left > 0 && !e.name.startsWith(".") && !SKIPPED.has(e.name))
        visit(join(dir, e.name), left - 1);
    }
  };
  visit(resolve(root), depth);
  return found;
}
