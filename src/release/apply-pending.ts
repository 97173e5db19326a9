import type { Progress } from "../core/progress.js";
import type { Platform } from "../platform/platform.js";

export interface AppliedMigration {
  name: string;
  restorePoint: string;
}

/**
 * Applies a database's pending D1 migrations one by one, each after a restore point, as a step per migration.
 *
 * @example
 * const applied = await applyPendingMigrations(platform, out, { worker: "shop-api", database: "shop" });
 */
export async function applyPendingMigrations(
  platform: Pick<Platform, "listMigrations" | "createRestorePoint" | "applyMigrations">,
  out: Progress,
  { worker, database }: { worker: string; database: string },
): Promise<AppliedMigration[]> {
  const pending = (await platform.listMigrations(worker, database)).filter((m) => !m.applied);
  const applied: AppliedMigration[] = [];
  for (const m of pending) {
    const step = out.step(`${database}: ${m.name}`);
    try {
      const point = await platform.createRestorePoint(worker, database, m.name);
      await platform.applyMigrations(worker, database, { upTo: m.name });
      applied.push({ name: m.name, restorePoint: point.bookmark });
      step.ok(`applied; restore point ${point.bookmark}`);
    } catch (err) {
      step.fail();
      throw err;
    }
  }
  return applied;
}
