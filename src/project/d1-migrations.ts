import { type Dirent, readdirSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { BlastwallError } from "../core/errors.js";
import { type MigrationOrder, sortMigrations } from "../core/migration-order.js";
import type { D1Binding, WranglerConfig } from "./wrangler-config.js";

// The one listing of D1 migration files (check, the local edge and the Cloudflare target all use it), named and
// matched as wrangler records them in d1_migrations: paths relative to migrations_dir, forward slashes.

const norm = (p: string) => posix.normalize(p.split("\\").join("/")).replace(/\/$/, "");

/**
 * wrangler's rule: `migrations_pattern` needs `migrations_dir` and must start with it; returns it relative to it.
 *
 * @example
 * patternUnder("migrations/*\/migration.sql", "migrations", "/p/wrangler.jsonc", at); // "*\/migration.sql"
 */
export function patternUnder(
  pattern: string | undefined,
  dir: string | undefined,
  configPath: string,
  at: (key: string) => { line: number; column: number },
): string | undefined {
  if (pattern === undefined) return undefined;
  const prefix = dir === undefined ? undefined : norm(dir);
  const p = norm(pattern);
  if (prefix === undefined || (prefix !== "." && !p.startsWith(`${prefix}/`))) {
    throw new BlastwallError(
      `migrations_pattern "${pattern}" must start with migrations_dir${prefix ? ` ("${prefix}/")` : ", which is not set"}`,
      {
        location: { file: configPath, ...at("migrations_pattern") },
        fix: `set "migrations_dir" and start the pattern with it, e.g. "migrations_dir": "migrations", "migrations_pattern": "migrations/*/migration.sql" (wrangler refuses it the same way)`,
      },
    );
  }
  return prefix === "." ? p : p.slice(prefix.length + 1);
}

/** A glob (`*`, `**`, `?`, `{a,b}`) as a regular expression over forward-slash paths. */
export function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:[^/.][^/]*/)*" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") re += "(?:";
    else if (c === "}") re += ")";
    else if (c === ",") re += "|";
    else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Files under `root` whose relative path matches the glob (dot-entries skipped, as minimatch does). */
function matchFiles(root: string, glob: string): string[] {
  const re = globRegExp(glob);
  const out: string[] = [];
  const walk = (abs: string, rel: string, depth: number) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 8) walk(join(abs, e.name), r, depth + 1);
      else if (e.isFile() && re.test(r)) out.push(r);
    }
  };
  walk(root, "", 0);
  return out;
}

/**
 * The migration files of a folder in the order the project's wrangler applies them: `*.sql` directly in it, or
 * with `pattern` (wrangler 4.98+ `migrations_pattern`) every matching path, relative to the folder.
 *
 * @example
 * listMigrationFiles("/p/migrations", "numeric", "*\/migration.sql"); // ["1_init/migration.sql", "10_more/migration.sql"]
 */
export function listMigrationFiles(dir: string, order?: MigrationOrder, pattern?: string): string[] {
  if (pattern !== undefined) {
    try {
      return sortMigrations(matchFiles(dir, pattern), order ? { order } : {});
    } catch (err) {
      throw new BlastwallError(`cannot list the migrations folder: ${(err as Error).message}`, {
        location: { file: dir },
        fix: "make the folder readable, or point migrations_dir at the folder that holds the migrations",
      });
    }
  }
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new BlastwallError(`cannot list the migrations folder: ${(err as Error).message}`, {
      location: { file: dir },
      fix: "make the folder readable, or point migrations_dir at the folder that holds the .sql files",
    });
  }
  const names = entries.filter((e) => e.name.endsWith(".sql") && !e.isDirectory()).map((e) => e.name);
  return sortMigrations(names, order ? { order } : {});
}

export interface BindingMigrations {
  /** Absolute path of the binding's migrations folder. */
  dir: string;
  /** `migrations_pattern` relative to `dir`, when set. */
  pattern?: string;
  order: MigrationOrder;
  /** `migrations_table`, when set. */
  table?: string;
}

/** Where a D1 entry sits in the config: `d1_databases[i]` at the top level or under `env.<name>`. */
function entryPath(config: WranglerConfig, binding: D1Binding): (string | number)[] {
  const top = config.d1_databases.indexOf(binding);
  if (top >= 0) return ["d1_databases", top];
  for (const [name, section] of Object.entries(config.env)) {
    const i = section.d1_databases.indexOf(binding);
    if (i >= 0) return ["env", name, "d1_databases", i];
  }
  return ["d1_databases"];
}

/**
 * Which migration files wrangler applies for a D1 binding, top level or `env.*`: where they live, how they are listed
 * and the table that records them. wrangler does not inherit `d1_databases` into an environment, so an `env.*` entry
 * that leaves out `migrations_dir` uses `migrations/`, not the top-level entry's folder. A pattern exists only since
 * wrangler 4.98, which applies in numeric order, so a binding with one is numeric whatever the project's wrangler.
 *
 * @example
 * const m = bindingMigrations(config, config.d1_databases[0], "numeric");
 * listMigrationFiles(m.dir, m.order, m.pattern); // what `wrangler d1 migrations apply` applies, in its order
 */
export function bindingMigrations(
  config: WranglerConfig,
  binding: D1Binding,
  projectOrder: MigrationOrder,
): BindingMigrations {
  const path = entryPath(config, binding);
  const pattern = patternUnder(
    binding.migrations_pattern,
    binding.migrations_dir,
    config.path,
    (key) => config.locate([...path, key]) ?? { line: 1, column: 1 },
  );
  return {
    dir: resolve(dirname(config.path), binding.migrations_dir ?? "migrations"),
    order: pattern ? "numeric" : projectOrder,
    ...(pattern ? { pattern } : {}),
    ...(binding.migrations_table !== undefined ? { table: binding.migrations_table } : {}),
  };
}
