import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { MigrationOrder } from "../../core/migration-order.js";
import { bindingMigrations, listMigrationFiles, patternUnder } from "../../project/d1-migrations.js";
import type { Project } from "../../project/discover.js";
import { relativeTo } from "../../project/discover.js";
import { drizzleOut, sqlLayout } from "../../project/drizzle-config.js";
import { isDir, type PackagePath, packageInPath, resolvePackagePath } from "../../project/workspaces.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { migrationOrderFor } from "../../project/wrangler-version.js";

/**
 * The D1 bindings (top level and `env.*`) whose migrations folder is `dir`, each with its config; a binding whose
 * folder cannot be resolved is left out.
 *
 * @example
 * folderBindings(dir).map((b) => b.binding.database_name); // ["shop", "shop-staging"]
 */
export function folderBindings(
  dir: Pick<MigrationsDir, "dir" | "configs" | "order">,
): { cfg: WranglerConfig; binding: D1Binding }[] {
  return dir.configs.flatMap((cfg) =>
    [...cfg.d1_databases, ...Object.values(cfg.env).flatMap((e) => e.d1_databases)].flatMap((binding) => {
      try {
        return resolve(bindingMigrations(cfg, binding, dir.order).dir) === resolve(dir.dir) ? [{ cfg, binding }] : [];
      } catch {
        return [];
      }
    }),
  );
}

/** One migrations folder and the D1 bindings that use it (several Workers often share one). */
export interface MigrationsDir {
  /** Absolute path. */
  dir: string;
  /** Relative to the project dir, forward slashes. */
  rel: string;
  /** The project dir it was found from, absolute (`rel` is relative to it; it may hold `..`). */
  root: string;
  /** "shop (DB in api/wrangler.jsonc)" for messages. */
  databases: string[];
  /** The configs whose D1 bindings use this folder. */
  configs: WranglerConfig[];
  migrationsTable: string;
  /** The order the project's wrangler applies the files in. */
  order: MigrationOrder;
  /** `migrations_pattern` relative to the folder (wrangler 4.98+), when set; otherwise `*.sql`. */
  pattern?: string;
  exists: boolean;
  /**
   * Set when `migrations_dir` points inside a `node_modules` that does not hold the package (not installed): the
   * folder read instead, found as the package manager links it. `written` is the path as the config gives it.
   */
  throughPackage?: PackagePath & { written: string };
  /** The package a `node_modules` path names when it could not be found at all (for the missing-folder finding). */
  missingPackage?: string;
  /**
   * Set when the binding sets no `migrations_dir`, its default `migrations` folder is missing, and a drizzle-kit
   * config's `out` holds the SQL: the folder read instead. `migrationsDir` is that folder relative to the config.
   */
  drizzle?: { config: string; migrationsDir: string; driver?: string; unnumbered: string[] };
  /**
   * Set when the binding sets no `migrations_dir`, its default `migrations` folder is missing, no drizzle-kit config
   * names one, and a `migrations` folder of SQL sits in a parent folder (up to the project root): the folder read
   * instead, relative to the config. wrangler would read the missing default and apply nothing.
   */
  above?: { migrationsDir: string };
  /** The folder holds no `*.sql` but one folder per migration (`*\/migration.sql`) and no migrations_pattern is set. */
  nestedWithoutPattern?: boolean;
  /** Set when the folder was read on top of a drizzle folder that creates the tables its history never creates. */
  base?: DrizzleBase;
  /** Where `migrations_dir` is set (or the binding is declared, for the default), to point at when it is missing. */
  declaredAt: { file: string; line: number; column: number; explicit: boolean };
}

/**
 * The schema a migrations folder starts from when drizzle-kit, not wrangler, made it: a drizzle folder (applied with
 * `drizzle-kit migrate`, driver d1-http) that creates the tables the wrangler history uses but never creates.
 */
export interface DrizzleBase {
  /** The drizzle config, relative to the project. */
  config: string;
  /** Its `out` folder, relative to the project. */
  folder: string;
  driver?: string;
  /** Files of the folder run as the base, in order. */
  applied: string[];
  /** Files SQLite rejected on top of the ones before them, with why: left out of the base. */
  skipped: { name: string; error: string }[];
  /** Lower-cased tables the base creates that the history uses without creating. */
  provides: string[];
  /** The applied files' SQL, in order. */
  sql: string;
  /**
   * Set when the history does not apply on top of the folder either (it adds columns the folder already has: the two
   * overlap): what SQLite said first. The folder is then only named, and the history read without it.
   */
  overlap?: string;
}

const slash = (p: string) => p.split("\\").join("/");

type D1Binding = WranglerConfig["d1_databases"][number];
/** drizzle-kit names its migrations `0001_name.sql` (or `20250101_name/migration.sql`); other files are seeds or notes. */
const NUMBERED = /^\d+[_-]/;

/**
 * Where a binding's migrations are read from: `migrations_dir` (default `migrations`) as wrangler reads it; when
 * that folder is missing, a `node_modules` path's workspace package, or the `out` folder of a drizzle-kit config
 * next to a binding that sets no `migrations_dir` (wrangler would read the missing default and apply nothing).
 */
function folderOf(
  cfg: WranglerConfig,
  d: D1Binding,
  root: string,
): { dir: string; pattern?: string; extra: Partial<MigrationsDir> } {
  const written = resolve(dirname(cfg.path), d.migrations_dir ?? "migrations");
  if (isDir(written)) {
    // Without migrations_pattern wrangler reads only `*.sql` directly in the folder; one folder per migration
    // (drizzle-kit v1, `0001_init/migration.sql`) then applies nothing.
    const nested = d.migrations_pattern === undefined && sqlLayout(written) === "nested";
    return nested
      ? { dir: written, pattern: "*/migration.sql", extra: { nestedWithoutPattern: true } }
      : { dir: written, extra: {} };
  }
  const viaPackage = resolvePackagePath(written);
  if (viaPackage)
    return {
      dir: viaPackage.dir,
      extra: { throughPackage: { ...viaPackage, written: d.migrations_dir ?? "migrations" } },
    };
  const drizzle = d.migrations_dir === undefined ? drizzleOut(dirname(cfg.path), root) : undefined;
  if (drizzle)
    return {
      dir: drizzle.dir,
      ...(drizzle.pattern ? { pattern: drizzle.pattern } : {}),
      extra: {
        drizzle: {
          config: slash(relativeTo(root, drizzle.config)),
          migrationsDir: slash(relative(dirname(cfg.path), drizzle.dir)) || ".",
          ...(drizzle.driver ? { driver: drizzle.driver } : {}),
          unnumbered: listMigrationFiles(drizzle.dir, undefined, drizzle.pattern).filter((n) => !NUMBERED.test(n)),
        },
      },
    };
  const above = d.migrations_dir === undefined ? migrationsAbove(dirname(cfg.path), root) : undefined;
  if (above) return { dir: above, extra: { above: { migrationsDir: slash(relative(dirname(cfg.path), above)) } } };
  const pkg = packageInPath(written)?.pkg;
  return { dir: written, extra: pkg ? { missingPackage: pkg } : {} };
}

/** The nearest `migrations` folder holding `*.sql` in a parent of `from`, up to `root`. */
function migrationsAbove(from: string, root: string): string | undefined {
  const top = resolve(root);
  let at = resolve(from);
  while (at !== top && dirname(at) !== at) {
    at = dirname(at);
    const candidate = join(at, "migrations");
    if (sqlLayout(candidate) === "flat") return candidate;
    if (!`${at}/`.startsWith(`${top}/`)) return undefined;
  }
  return undefined;
}

/**
 * Every D1 migrations folder a project's wrangler configs name, top level and `env.*`, each listed once.
 * `migrations_dir` is relative to the config file and defaults to `migrations`, as in wrangler.
 *
 * @example
 * listMigrationDirs(loadProject("examples/shop")); // [{ rel: "migrations", databases: ["shop (DB)"], … }]
 */
export function listMigrationDirs(project: Project): MigrationsDir[] {
  const byDir = new Map<string, MigrationsDir>();
  const order = migrationOrderFor(project.root);
  for (const cfg of project.workers) {
    const sections: [string[], WranglerConfig["d1_databases"]][] = [[[], cfg.d1_databases]];
    for (const [env, s] of Object.entries(cfg.env)) sections.push([["env", env], s.d1_databases]);
    for (const [prefix, dbs] of sections) {
      dbs.forEach((d, i) => {
        const explicit = d.migrations_dir !== undefined;
        const found = folderOf(cfg, d, project.root);
        const dir = found.dir;
        const keyAt = (key: string) => cfg.locate([...prefix, "d1_databases", i, key]) ?? { line: 1, column: 1 };
        // A pattern exists only since wrangler 4.98, so a config that sets one is applied by 4.98+ (numeric order),
        // even where the project's own wrangler is not installed to say so.
        const pattern = patternUnder(d.migrations_pattern, d.migrations_dir, cfg.path, keyAt) ?? found.pattern;
        const label = `${d.database_name ?? d.binding} (${d.binding} in ${slash(relativeTo(project.root, cfg.path))})`;
        const existing = byDir.get(dir);
        if (existing) {
          if (!existing.databases.includes(label)) existing.databases.push(label);
          if (!existing.configs.includes(cfg)) existing.configs.push(cfg);
          return;
        }
        const at = cfg.locate([...prefix, "d1_databases", i, ...(explicit ? ["migrations_dir"] : [])]) ?? {
          line: 1,
          column: 1,
        };
        byDir.set(dir, {
          dir,
          rel: slash(relativeTo(project.root, dir)),
          root: project.root,
          databases: [label],
          configs: [cfg],
          migrationsTable: d.migrations_table ?? "d1_migrations",
          order: pattern ? "numeric" : order,
          ...(pattern ? { pattern } : {}),
          exists: isDir(dir),
          ...found.extra,
          declaredAt: { file: slash(relativeTo(project.root, cfg.path)), ...at, explicit },
        });
      });
    }
  }
  return [...byDir.values()];
}

export { listMigrationFiles };

/**
 * The migration files of a folder, in apply order, as check and `migrations lock` read them. In drizzle-kit's folder
 * read in place of a missing `migrations/` (no wrangler config names it), only its numbered migrations: seed and
 * note files there are applied by hand, not by a migrations command, and the finding names them apart.
 *
 * @example
 * migrationNames(dir); // ["0001_init.sql", "0002_orders.sql"]
 */
export function migrationNames(dir: MigrationsDir): string[] {
  if (!dir.exists) return [];
  const names = listMigrationFiles(dir.dir, dir.order, dir.pattern);
  const skip = new Set(dir.drizzle?.unnumbered ?? []);
  return skip.size === 0 ? names : names.filter((n) => !skip.has(n));
}

export interface ReadMigration {
  text: string;
  /** Why the file is not usable SQL text, when it is not. */
  unreadable?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads a migration as UTF-8 text; binary or undecodable files come back with a reason, never an exception. */
export function readMigration(path: string): ReadMigration {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    return { text: "", unreadable: `cannot read the file: ${(err as Error).message}` };
  }
  const head = buf.subarray(0, 8192);
  if (head.includes(0)) return { text: "", unreadable: "the file is binary (it contains NUL bytes), not SQL text" };
  try {
    const text = utf8.decode(buf);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    return { text: "", unreadable: "the file is not valid UTF-8 text" };
  }
}

export function migrationPath(dir: Pick<MigrationsDir, "dir">, name: string): string {
  return join(dir.dir, name);
}
