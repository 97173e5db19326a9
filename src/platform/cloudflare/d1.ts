import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BlastwallError, UsageError } from "../../core/errors.js";
import { type MigrationOrder, NUMERIC_ORDER_SINCE, versionAtLeast } from "../../core/migration-order.js";
import { bindingMigrations, listMigrationFiles } from "../../project/d1-migrations.js";
import type { D1Binding } from "../../project/wrangler-config.js";
import type { MigrationState, RestorePoint } from "../platform.js";
import { CloudflareApiError } from "./api.js";
import type { CloudflareContext } from "./context.js";
import { formatRestorePoint, parseRestorePoint } from "./restore-points.js";
import type { CloudflareVersions } from "./versions.js";

/** The label a restore's undo bookmark is recorded under, in place of a migration name. */
export const UNDO_RESTORE = "undo-restore";

/** The D1 capability: migrations, restore points (Time Travel bookmarks) and restores. */
export interface CloudflareD1 {
  listMigrations(worker: string, database: string, env?: string): Promise<MigrationState[]>;
  applyMigrations(worker: string, database: string, options?: { upTo?: string; env?: string }): Promise<string[]>;
  createRestorePoint(worker: string, database: string, beforeMigration?: string, env?: string): Promise<RestorePoint>;
  listRestorePoints(worker: string, database: string, env?: string): Promise<RestorePoint[]>;
  /**
   * Restores a bookmark. Time Travel answers with the bookmark of the state it replaced; that undo bookmark is
   * recorded as a restore point labelled `undo-restore`, so a wrong restore can itself be undone.
   */
  restore(worker: string, database: string, bookmark: string, env?: string): Promise<void>;
}

/** How long D1 keeps Time Travel history on a paid plan. */
const TIME_TRAVEL_DAYS = 30;

interface D1Target {
  order: MigrationOrder;
  db: D1Binding & { database_id: string };
  dbName: string;
  migrationsDir: string;
  /** `migrations_pattern` relative to `migrationsDir` (wrangler 4.98+), when the binding sets one. */
  pattern?: string;
  table: string;
  configPath: string;
  compatibilityDate: string;
  scriptName: string;
}

/** The migration files in the order the wrangler that applies them uses, named as wrangler records them. */
export function migrationFiles(dir: string, order: MigrationOrder, pattern?: string): string[] {
  try {
    return listMigrationFiles(dir, order, pattern);
  } catch {
    return [];
  }
}

/** The database binding of one Worker in one environment, with the `database_id` commands need. */
function targetOf(
  ctx: CloudflareContext,
  order: MigrationOrder,
  worker: string,
  database: string,
  env: string | undefined,
): D1Target {
  const config = ctx.configOf(worker);
  if (!config) {
    throw new BlastwallError(`no wrangler config for Worker "${worker}" under ${ctx.projectDir}`, {
      kind: "input",
      fix: "run from the project folder or pass --project <dir>",
    });
  }
  const settings = ctx.settingsOf(config, ctx.envOf(env));
  const db = settings.d1_databases.find((d) => d.database_name === database || d.binding === database);
  if (!db?.database_id) {
    throw new BlastwallError(`Worker "${worker}" has no D1 database "${database}" with a database_id`, {
      kind: "input",
      location: { file: config.path, ...(config.locate(["d1_databases"]) ?? {}) },
      fix: "add it to d1_databases with its database_id (wrangler d1 list shows the ids)",
    });
  }
  const listing = bindingMigrations(config, db, order);
  return {
    order: listing.order,
    ...(listing.pattern ? { pattern: listing.pattern } : {}),
    db: { ...db, database_id: db.database_id },
    dbName: db.database_name ?? database,
    migrationsDir: listing.dir,
    table: listing.table ?? "d1_migrations",
    configPath: config.path,
    compatibilityDate: settings.compatibility_date ?? "2024-01-01",
    scriptName: ctx.scriptName(worker, env),
  };
}

/** A throwaway wrangler config naming just one D1 database, so `d1` commands work for any env's binding. */
async function withD1Config<T>(
  t: D1Target,
  run: (configPath: string) => Promise<T>,
  keep?: (names: string[]) => string[],
) {
  const dir = mkdtempSync(join(tmpdir(), "blastwall-d1-"));
  try {
    let migrationsDir = t.migrationsDir;
    if (keep) {
      // Wrangler applies every pending file in the folder; a folder of copies of the wanted ones stops at `upTo`.
      // Copies, not symlinks: wrangler 4.98+ lists only regular files (Dirent.isFile), so it skips a link.
      migrationsDir = join(dir, "migrations");
      mkdirSync(migrationsDir, { recursive: true });
      // Nested names (`0001_init/migration.sql`) keep their folders, so the same pattern names them the same.
      for (const f of keep(migrationFiles(t.migrationsDir, t.order, t.pattern))) {
        mkdirSync(dirname(join(migrationsDir, f)), { recursive: true });
        copyFileSync(join(t.migrationsDir, f), join(migrationsDir, f));
      }
    }
    const configPath = join(dir, "wrangler.json");
    const d1 = { binding: t.db.binding, database_name: t.dbName, database_id: t.db.database_id };
    writeFileSync(
      configPath,
      JSON.stringify({
        name: t.scriptName,
        compatibility_date: t.compatibilityDate,
        d1_databases: [
          {
            ...d1,
            migrations_table: t.table,
            // wrangler wants the pattern to start with migrations_dir, both relative to the config.
            ...(t.pattern && keep
              ? { migrations_dir: "migrations", migrations_pattern: `migrations/${t.pattern}` }
              : { migrations_dir: migrationsDir }),
          },
        ],
      }),
    );
    return await run(configPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listMigrations(ctx: CloudflareContext, t: D1Target): Promise<MigrationState[]> {
  let applied: { name: string; applied_at?: string }[] = [];
  try {
    const out = await ctx.api.account<{ results?: { name: string; applied_at?: string }[] }[]>(
      `/d1/database/${t.db.database_id}/query`,
      { method: "POST", body: JSON.stringify({ sql: `SELECT name, applied_at FROM ${t.table} ORDER BY id` }) },
    );
    applied = out[0]?.results ?? [];
  } catch (err) {
    if (!(err instanceof CloudflareApiError && /no such table/i.test(err.message))) throw err;
  }
  const appliedAt = new Map(applied.map((r) => [r.name, r.applied_at]));
  const names = [...new Set([...applied.map((r) => r.name), ...migrationFiles(t.migrationsDir, t.order, t.pattern)])];
  return names.map((name) => {
    const at = appliedAt.get(name);
    return appliedAt.has(name) ? { name, applied: true, ...(at ? { appliedAt: at } : {}) } : { name, applied: false };
  });
}

async function applyMigrations(ctx: CloudflareContext, t: D1Target, upTo: string | undefined): Promise<string[]> {
  if (t.pattern && versionAtLeast(ctx.wranglerVersion, NUMERIC_ORDER_SINCE) === false) {
    throw new BlastwallError(
      `${t.dbName} sets migrations_pattern, which wrangler ${ctx.wranglerVersion} ignores: it would apply only top-level *.sql files`,
      { kind: "input", location: { file: t.configPath }, fix: "upgrade wrangler to 4.98+ (npm i -D wrangler@^4.98)" },
    );
  }
  const before = await listMigrations(ctx, t);
  const pending = before.filter((m) => !m.applied).map((m) => m.name);
  if (upTo && !pending.includes(upTo) && !before.some((m) => m.name === upTo)) {
    throw new UsageError(`no migration named ${upTo}`, `pending: ${pending.join(", ") || "none"}`);
  }
  const stop = upTo ? pending.indexOf(upTo) : pending.length - 1;
  if (stop < 0 || pending.length === 0) return [];
  const wanted = new Set(pending.slice(0, stop + 1));
  const appliedNames = new Set(before.filter((m) => m.applied).map((m) => m.name));
  await withD1Config(
    t,
    // Never killed midway: a half-applied migration leaves the database in a state nobody knows.
    (configPath) =>
      ctx.runWrangler(["d1", "migrations", "apply", t.dbName, "--remote", "--config", configPath], {
        cwd: dirname(configPath),
        timeoutMs: 0,
      }),
    (files) => files.filter((f) => appliedNames.has(f) || wanted.has(f)),
  );
  const after = await listMigrations(ctx, t);
  return after.filter((m) => m.applied && wanted.has(m.name)).map((m) => m.name);
}

/** The bookmark now, or at (just before) a time; undefined past Time Travel's retention window. */
async function bookmarkAt(ctx: CloudflareContext, t: D1Target, at?: Date): Promise<string | undefined> {
  if (at && ctx.clock.now() - at.getTime() > TIME_TRAVEL_DAYS * 86_400_000) return undefined;
  const { bookmark } = await ctx.api.account<{ bookmark?: string }>(
    `/d1/database/${t.db.database_id}/time_travel/bookmark`,
    at ? { query: { timestamp: at.toISOString() } } : {},
  );
  return bookmark;
}

/**
 * Restore points that outlive the deployments list (which shows the latest ~10 only): each applied migration's
 * `applied_at` names the moment before it, and Time Travel gives the bookmark at that moment for 30 days.
 */
async function derivedRestorePoints(ctx: CloudflareContext, t: D1Target, database: string): Promise<RestorePoint[]> {
  const out: RestorePoint[] = [];
  let migrations: MigrationState[];
  try {
    migrations = await listMigrations(ctx, t);
  } catch (err) {
    // No database yet has no history; one the token may not read leaves the recorded points only.
    if (!(err instanceof CloudflareApiError)) throw err;
    if (err.status !== 404) ctx.warn(`restore points from Time Travel unavailable for ${t.dbName}: ${err.message}`);
    return [];
  }
  for (const m of migrations) {
    if (!m.applied || !m.appliedAt) continue;
    const at = new Date(`${m.appliedAt.replace(" ", "T")}${/Z|[+-]\d\d:?\d\d$/.test(m.appliedAt) ? "" : "Z"}`);
    if (Number.isNaN(at.getTime())) continue;
    const before = new Date(at.getTime() - 1000);
    const bookmark = await bookmarkAt(ctx, t, before);
    if (bookmark) out.push({ database, bookmark, createdAt: before.toISOString(), beforeMigration: m.name });
  }
  return out;
}

/**
 * @example
 * const d1 = createCloudflareD1(ctx, versions, migrationOrderOf("4.86.0"));
 * const rp = await d1.createRestorePoint("shop-api", "shop", "0004_add_sku.sql");
 */
export function createCloudflareD1(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  order: MigrationOrder,
): CloudflareD1 {
  const d1Target = (worker: string, database: string, env: string | undefined) =>
    targetOf(ctx, order, worker, database, env);
  return {
    listMigrations: (worker, database, env) => listMigrations(ctx, d1Target(worker, database, env)),
    applyMigrations: (worker, database, { upTo, env } = {}) =>
      applyMigrations(ctx, d1Target(worker, database, env), upTo),
    async createRestorePoint(worker, database, beforeMigration, env) {
      const t = d1Target(worker, database, env);
      const bookmark = await bookmarkAt(ctx, t);
      if (!bookmark) throw new BlastwallError(`Time Travel returned no bookmark for ${t.dbName}`, { kind: "failure" });
      const current = await versions.currentDeployment(worker, env);
      if (!current) {
        throw new BlastwallError(`${worker} has no deployment to record the restore point in`, {
          kind: "failure",
          fix: "deploy the Worker once (wrangler deploy) before releasing migrations with blastwall",
        });
      }
      // Re-deploying the split in force changes no traffic; it writes the bookmark where anyone can see it.
      const recorded = await versions.deploy(worker, current.versions, {
        message: formatRestorePoint({ database, bookmark, beforeMigration }),
        applyTriggers: false,
        ...(env ? { env } : {}),
      });
      return { database, bookmark, createdAt: recorded.createdAt, ...(beforeMigration ? { beforeMigration } : {}) };
    },
    async listRestorePoints(worker, database, env) {
      const recorded = (await versions.apiDeployments(worker, env)).flatMap((d) => {
        const rp = parseRestorePoint(d.annotations?.["workers/message"]);
        return rp && rp.database === database ? [{ ...rp, createdAt: d.created_on }] : [];
      });
      const exact = new Set(recorded.map((r) => r.beforeMigration).filter((m) => m !== undefined));
      const derived = (await derivedRestorePoints(ctx, d1Target(worker, database, env), database)).filter(
        (r) => ![...exact].some((m) => r.beforeMigration?.startsWith(m)),
      );
      return [...recorded, ...derived].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    async restore(worker, database, bookmark, env) {
      const t = d1Target(worker, database, env);
      const result = await ctx.api.account<{ bookmark?: string; previous_bookmark?: string }>(
        `/d1/database/${t.db.database_id}/time_travel/restore`,
        { method: "POST", query: { bookmark }, idempotent: false },
      );
      const undo = result.previous_bookmark;
      const current = undo ? await versions.currentDeployment(worker, env) : undefined;
      if (!undo || !current) {
        if (undo) ctx.warn(`${t.dbName} restored; to undo it: blastwall d1 restore --bookmark ${undo}`);
        return;
      }
      await versions.deploy(worker, current.versions, {
        message: formatRestorePoint({ database, bookmark: undo, beforeMigration: UNDO_RESTORE }),
        applyTriggers: false,
        ...(env ? { env } : {}),
      });
    },
  };
}
