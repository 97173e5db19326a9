import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MigrationsDir } from "./migrations.js";

/** A `.sql` file in a subfolder of a migrations folder, which `wrangler d1 migrations apply` never lists. */
export interface NestedFile {
  /** Relative to the migrations folder, forward slashes: `lucia/0001_add_lucia_tables.sql`. */
  name: string;
  sql: string;
}

/** Subfolders that say their SQL is kept on purpose, not meant to run: archives, rollbacks, seeds, tests. */
const KEPT_APART =
  /^(?:archive[ds]?|old|legacy|backups?|down|undo|revert|rollbacks?|seeds?|seeding|fixtures?|tests?|__tests__|examples?|drafts?|deprecated|manual|scripts?|meta|snapshots?|squashed|dumps?|data)$/i;
/** Folders read below the migrations folder, and the largest file read. */
const DEPTH = 2;
const MAX_BYTES = 1_000_000;

/**
 * The `.sql` files in subfolders of a plain migrations folder (no `migrations_pattern`, which names nested paths
 * itself): wrangler applies only the files directly in it. Folders named like archives, rollbacks, seeds or tests
 * are left out (`_archive` too), and so are dot folders and `node_modules`.
 *
 * @example
 * nestedMigrationFiles(dir); // [{ name: "lucia/0001_add_lucia_tables.sql", sql: "CREATE TABLE sessions …" }]
 */
export function nestedMigrationFiles(dir: MigrationsDir): NestedFile[] {
  if (dir.pattern !== undefined || !dir.exists) return [];
  const out: NestedFile[] = [];
  const walk = (abs: string, rel: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(abs, entry);
      const name = rel ? `${rel}/${entry}` : entry;
      let isDir: boolean;
      let size: number;
      try {
        const s = statSync(path);
        isDir = s.isDirectory();
        size = s.size;
      } catch {
        continue;
      }
      if (isDir) {
        const skip = entry.startsWith(".") || entry === "node_modules" || KEPT_APART.test(entry.replace(/^[_-]+/, ""));
        if (!skip && depth < DEPTH) walk(path, name, depth + 1);
      } else if (rel && entry.endsWith(".sql") && size <= MAX_BYTES) {
        out.push({ name, sql: readFileSync(path, "utf8") });
      }
    }
  };
  walk(dir.dir, "", 0);
  return out;
}

/** Suffixes that set a migration aside under a name wrangler does not apply: `0007_x.sql.bak`, `0007_x.sql~`. */
const SET_ASIDE = /\.sql(?:\.(?:bak|backup|old|orig|disabled|disable|skip|skipped|off|ignore|ignored|unused|tmp)|~)$/i;

/**
 * The files directly in a migrations folder named like a migration with a suffix that keeps wrangler from applying
 * them (`0007_add_tenant.sql.bak`): a migration someone set aside, often after databases had applied it.
 *
 * @example
 * setAsideMigrationFiles(dir); // [{ name: "0007_add_tenant.sql.bak", sql: "ALTER TABLE banks ADD COLUMN …" }]
 */
export function setAsideMigrationFiles(dir: MigrationsDir): NestedFile[] {
  if (!dir.exists) return [];
  let entries: string[];
  try {
    entries = readdirSync(dir.dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (!SET_ASIDE.test(name) || !/^\d/.test(name)) return [];
    try {
      const path = join(dir.dir, name);
      const s = statSync(path);
      return s.isFile() && s.size <= MAX_BYTES ? [{ name, sql: readFileSync(path, "utf8") }] : [];
    } catch {
      return [];
    }
  });
}
