import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { bindingMigrations } from "../../project/d1-migrations.js";
import { loadProject } from "../../project/discover.js";
import { migrationOrderFor } from "../../project/wrangler-version.js";
import type { MigrationState, RestorePoint } from "../platform.js";
import * as d1 from "./d1.js";
import type { EdgeRuntime } from "./runtime.js";
import type { EdgePaths, EdgeState } from "./state.js";
import { d1BindingName, INTERNAL_WORKER } from "./workers.js";

/** A bookmark-shaped id, like D1 Time Travel's: time, sequence and randomness in hex groups. */
function newBookmark(seq: number): string {
  const t = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  return `${t}-${seq.toString(16).padStart(8, "0")}-${randomBytes(4).toString("hex")}-${randomBytes(16).toString("hex")}`;
}

export interface EdgeDatabasesOptions {
  projectDir: string;
  paths: EdgePaths;
  state: EdgeState;
  runtime: EdgeRuntime;
}

/**
 * D1 on the local edge: migrations (wrangler's order and table), restore points as snapshots, restore.
 *
 * @example
 * await edge.databases.apply("shop-api", "shop-db");
 */
export class EdgeDatabases {
  constructor(private readonly options: EdgeDatabasesOptions) {}

  /** Pending migrations of the Worker's databases, as the next command to run (for the router's exception page). */
  async pendingHint(worker: string): Promise<string | undefined> {
    const config = this.options.runtime.projectConfigs().find((c) => c.name === worker);
    for (const d of config?.d1_databases ?? []) {
      const name = d.database_name ?? d.binding;
      const pending = (await this.migrations(worker, name)).filter((m) => !m.applied);
      if (pending.length > 0) {
        return `D1 database ${name} has ${pending.length} pending migration(s), starting with ${pending[0]?.name}.\nNext: blastwall d1 migrations apply --worker ${worker} --database ${name} --project ${this.options.projectDir}`;
      }
    }
    return undefined;
  }

  private async database(worker: string, database: string) {
    const config =
      this.options.runtime.projectConfigs().find((c) => c.name === worker) ??
      this.options.state
        .versions(worker)
        .map((v) => v.configPath)
        .reverse()
        .map((p) => loadProject(p).workers[0])
        .find((c) => c !== undefined);
    if (!config) {
      throw new BlastwallError(`no Worker named "${worker}" in ${this.options.projectDir}`, {
        fix: "pass --worker with a name from `blastwall workers list`",
      });
    }
    const binding = config.d1_databases.find(
      (d) => d.binding === database || d.database_name === database || d.database_id === database,
    );
    if (!binding) {
      throw new BlastwallError(`${worker} has no D1 database "${database}"`, {
        location: { file: config.path },
        fix: `use one of: ${config.d1_databases.map((d) => d.database_name ?? d.binding).join(", ") || "(none)"}`,
      });
    }
    const id = binding.database_id ?? binding.database_name ?? binding.binding;
    const listing = bindingMigrations(config, binding, migrationOrderFor(this.options.projectDir));
    // A database declared after the edge started: bind it to the internal worker first (not via exclusive(): callers hold it).
    if (!this.options.runtime.d1Ids.includes(id)) await this.options.runtime.reload();
    const index = this.options.runtime.d1Ids.indexOf(id);
    if (index < 0) {
      throw new BlastwallError(`D1 database ${id} is not bound on the local edge`, {
        kind: "failure",
        location: { file: config.path },
        fix: "restart the edge so it reads the project's configs again: `blastwall local down && blastwall local up`",
      });
    }
    const db = (await this.options.runtime
      .requireMf()
      .getD1Database(d1BindingName(index), INTERNAL_WORKER)) as unknown as d1.D1Client;
    return {
      db,
      id,
      name: binding.database_name ?? binding.binding,
      ...listing,
      table: listing.table ?? d1.DEFAULT_MIGRATIONS_TABLE,
    };
  }

  async migrations(worker: string, database: string): Promise<MigrationState[]> {
    return d1.listMigrations(await this.database(worker, database));
  }

  apply(worker: string, database: string, upTo?: string): Promise<string[]> {
    return this.options.runtime.exclusive(async () => d1.applyMigrations(await this.database(worker, database), upTo));
  }

  createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
    return this.options.runtime.exclusive(async () => {
      const db = await this.database(worker, database);
      const snap = await d1.snapshot(db.db);
      const bookmark = newBookmark(this.options.state.restorePoints(db.name).length + 1);
      const file = join(this.options.paths.snapshotsDir, db.id, `${bookmark}.json`);
      const point: RestorePoint = {
        database: db.name,
        bookmark,
        createdAt: new Date().toISOString(),
        ...(beforeMigration ? { beforeMigration } : {}),
      };
      d1.writeSnapshot(file, snap, point as unknown as Record<string, unknown>);
      this.options.state.addRestorePoint({ ...point, file });
      return point;
    });
  }

  async restorePoints(worker: string, database: string): Promise<RestorePoint[]> {
    const db = await this.database(worker, database);
    return this.options.state.restorePoints(db.name).map(({ file: _file, ...p }) => p);
  }

  restore(worker: string, database: string, bookmark: string): Promise<void> {
    return this.options.runtime.exclusive(async () => {
      const db = await this.database(worker, database);
      const point = this.options.state.restorePoints(db.name).find((p) => p.bookmark === bookmark);
      if (!point) {
        throw new BlastwallError(`no restore point ${bookmark} for database ${db.name}`, {
          fix: "list them with `blastwall d1 restore-points`",
        });
      }
      await d1.restoreSnapshot(db.db, d1.readSnapshot(point.file));
    });
  }

  /** Every D1 database the project's Worker configs declare, for the dashboard. */
  declared(): { worker: string; database: string }[] {
    const seen = new Set<string>();
    const out: { worker: string; database: string }[] = [];
    for (const c of this.options.runtime.projectConfigs()) {
      for (const d of c.d1_databases) {
        // Workers that share a database (same id) list it once.
        const id = d.database_id ?? d.database_name ?? d.binding;
        if (!c.name || seen.has(id)) continue;
        seen.add(id);
        out.push({ worker: c.name, database: d.database_name ?? d.binding });
      }
    }
    return out;
  }
}
