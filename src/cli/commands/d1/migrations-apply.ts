import { defineCommand } from "../../command.js";
import {
  DATABASE_OPTION,
  databaseFor,
  PLATFORM_OPTIONS,
  platformFor,
  WORKER_OPTION,
  workerFor,
} from "../../platform-options.js";

/** `blastwall d1 migrations apply`: applies pending migrations one by one, each after a restore point. */
export default defineCommand({
  name: "d1 migrations apply",
  group: "Release",
  summary: "Apply pending D1 migrations, recording a restore point before each one",
  options: { ...PLATFORM_OPTIONS, ...WORKER_OPTION, ...DATABASE_OPTION },
  json: true,
  examples: ["blastwall d1 migrations apply", "blastwall d1 migrations apply --worker shop-api --database shop"],
  run: async (ctx) => {
    const { platform, projectDir } = platformFor(ctx);
    const worker = workerFor(ctx, projectDir);
    const database = databaseFor(worker.config, ctx.options.database);
    const pending = (await platform.listMigrations(worker.name, database)).filter((m) => !m.applied);
    const applied: { name: string; restorePoint: string }[] = [];
    if (pending.length === 0) ctx.out.line(`${database}: no pending migrations`);
    for (const m of pending) {
      const step = ctx.out.step(`${database}: ${m.name}`);
      try {
        const point = await platform.createRestorePoint(worker.name, database, m.name);
        await platform.applyMigrations(worker.name, database, { upTo: m.name });
        applied.push({ name: m.name, restorePoint: point.bookmark });
        step.ok(`applied; restore point ${point.bookmark}`);
      } catch (err) {
        step.fail();
        throw err;
      }
    }
    if (ctx.options.json) ctx.out.data({ worker: worker.name, database, applied });
    return 0;
  },
});
