import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

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
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
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

/**
 * The drizzle-kit config nearest to `from` (that folder, then its parents up to `root`) and the SQL folder its
 * `out` names, when that folder holds migrations. Read as text: the config is not executed.
 *
 * @example
 * drizzleOut("/repo/apps/api", "/repo"); // { config: "/repo/apps/api/drizzle.config.ts", out: "./drizzle", dir: "/repo/apps/api/drizzle" }
 */
export function drizzleOut(from: string, root: string): DrizzleOut | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of NAMES) {
      let text: string;
      try {
        text = readFileSync(join(dir, name), "utf8");
      } catch {
        continue;
      }
      const out = stringKey(text, "out");
      if (!out) continue;
      const folder = resolve(dir, out);
      const layout = sqlLayout(folder);
      if (!layout) continue;
      const driver = stringKey(text, "driver");
      return {
        config: join(dir, name),
        out,
        dir: folder,
        ...(layout === "nested" ? { pattern: "*/migration.sql" } : {}),
        ...(driver ? { driver } : {}),
      };
    }
    if (relative(root, dir) === "" || dirname(dir) === dir || relative(root, dir).startsWith("..")) return undefined;
  }
}
