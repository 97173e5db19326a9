import { applyPendingMigrations } from "../../../release/apply-pending.js";
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
    const { platform, projectDir } = await platformFor(ctx, ["d1"]);
    const worker = workerFor(ctx, projectDir);
    const database = databaseFor(worker.config, ctx.options.database);
    const applied = await applyPendingMigrations(platform, ctx.out, { worker: worker.name, database });
    if (applied.length === 0) ctx.out.line(`${database}: no pending migrations`);
    if (ctx.options.json) ctx.out.data({ worker: worker.name, database, applied });
    return 0;
  },
});
