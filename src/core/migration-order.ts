/**
 * The order in which `wrangler d1 migrations apply` runs a folder's migration files. It changed twice, so the
 * order depends on the wrangler release that applies them (read from workers-sdk,
 * packages/wrangler/src/d1/migrations/helpers.ts):
 *
 * - before 4.80.0: directory-listing order, which the file system decides (not reproducible);
 * - 4.80.0 to 4.97.x: plain string sort of the file names (`10_y.sql` before `9_x.sql`);
 * - from 4.98.0: per path segment, the integer before the first `_` first (numbered before unnumbered),
 *   then string order (`9_x.sql` before `10_y.sql`).
 *
 * Every part of blastwall that orders migrations (check's replay, plan, the local edge, release) uses this one
 * function, so they all agree with the wrangler that will apply them.
 */

/** `lexical`: wrangler 4.80–4.97; `numeric`: wrangler 4.98 and later. */
export type MigrationOrder = "lexical" | "numeric";

/** The first wrangler release that orders migrations by their leading number. */
export const NUMERIC_ORDER_SINCE = "4.98.0";

/** The order a newer or unknown wrangler uses. */
export const DEFAULT_MIGRATION_ORDER: MigrationOrder = "numeric";

function versionParts(version: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * Whether `version` is `since` or later (major.minor.patch); undefined when either cannot be read.
 *
 * @example
 * versionAtLeast("4.164.0", "4.141.0"); // true
 */
export function versionAtLeast(version: string | undefined, since: string): boolean | undefined {
  const v = version === undefined ? undefined : versionParts(version);
  const s = versionParts(since);
  if (!v || !s) return undefined;
  for (let i = 0; i < 3; i++) {
    const a = v[i] ?? 0;
    const b = s[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * The order a given wrangler release applies migrations in; an unreadable version gets the current order.
 *
 * @example
 * migrationOrderOf("4.86.0"); // "lexical"
 * migrationOrderOf("4.98.0"); // "numeric"
 */
export function migrationOrderOf(wranglerVersion: string | undefined): MigrationOrder {
  const numeric = versionAtLeast(wranglerVersion, NUMERIC_ORDER_SINCE);
  return numeric === undefined ? DEFAULT_MIGRATION_ORDER : numeric ? "numeric" : "lexical";
}

/** wrangler's `parseInt(segment.split("_")[0], 10)`: `0006_a.sql` → 6, `init.sql` → NaN. */
export function leadingMigrationNumber(segment: string): number {
  return Number.parseInt(segment.split("_")[0] ?? "", 10);
}

/** JavaScript's default sort order (UTF-16 code units), which `toSorted()` and wrangler's tie-break use. */
function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSegments(a: string, b: string): number {
  const x = leadingMigrationNumber(a);
  const y = leadingMigrationNumber(b);
  const xn = Number.isFinite(x);
  const yn = Number.isFinite(y);
  if (xn && yn && x !== y) return x - y;
  if (xn !== yn) return xn ? -1 : 1;
  return codeUnitOrder(a, b);
}

function compareNumeric(a: string, b: string): number {
  const as = a.split("/");
  const bs = b.split("/");
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareSegments(as[i] ?? "", bs[i] ?? "");
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

/**
 * A comparator for migration names (paths relative to the migrations folder, forward slashes).
 *
 * @example
 * ["10_y.sql", "9_x.sql"].sort(compareMigrations("numeric")); // ["9_x.sql", "10_y.sql"]
 */
export function compareMigrations(order: MigrationOrder = DEFAULT_MIGRATION_ORDER): (a: string, b: string) => number {
  return order === "numeric" ? compareNumeric : codeUnitOrder;
}

export interface SortMigrationsOptions {
  /** Which wrangler order to use; see {@link migrationOrderOf}. Default: the current wrangler's. */
  order?: MigrationOrder;
}

/**
 * Migration names in the order wrangler applies them. Returns a new array.
 *
 * @example
 * sortMigrations(["10_y.sql", "9_x.sql"], { order: migrationOrderOf("4.86.0") }); // ["10_y.sql", "9_x.sql"]
 */
export function sortMigrations(
  names: Iterable<string>,
  { order = DEFAULT_MIGRATION_ORDER }: SortMigrationsOptions = {},
): string[] {
  return [...names].sort(compareMigrations(order));
}

/**
 * Whether the two wrangler orders disagree on these names: the history then runs differently depending on which
 * wrangler release applies it.
 *
 * @example
 * ordersDisagree(["9_x.sql", "10_y.sql"]); // true
 */
export function ordersDisagree(names: Iterable<string>): boolean {
  const list = [...names];
  const a = sortMigrations(list, { order: "lexical" });
  const b = sortMigrations(list, { order: "numeric" });
  return a.some((n, i) => n !== b[i]);
}
