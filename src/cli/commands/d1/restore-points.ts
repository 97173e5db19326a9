import { defineCommand } from "../../command.js";
import {
  DATABASE_OPTION,
  databaseFor,
  PLATFORM_OPTIONS,
  platformFor,
  table,
  WORKER_OPTION,
  workerFor,
} from "../../platform-options.js";

/** `blastwall d1 restore-points`: the restore points of a D1 database, newest first. */
export default defineCommand({
  name: "d1 restore-points",
  group: "Incident",
  summary: "List a D1 database's restore points, newest first",
  options: { ...PLATFORM_OPTIONS, ...WORKER_OPTION, ...DATABASE_OPTION },
  json: true,
  examples: ["blastwall d1 restore-points", "blastwall d1 restore-points --database shop --json"],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["d1"]);
    const worker = workerFor(ctx, projectDir);
    const database = databaseFor(worker.config, ctx.options.database);
    const points = await platform.listRestorePoints(worker.name, database);
    if (ctx.options.json) {
      ctx.out.data({ database, restorePoints: points });
      return 0;
    }
    if (points.length === 0) {
      ctx.out.line(`${database}: no restore points yet`);
      return 0;
    }
    const rows = [
      ["bookmark", "created", "before migration"],
      ...points.map((p) => [p.bookmark, p.createdAt, p.beforeMigration ?? ""]),
    ];
    for (const l of table(rows)) ctx.out.line(l);
    return 0;
  },
});
