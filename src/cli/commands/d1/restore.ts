import { BlastwallError, UsageError } from "../../../core/errors.js";
import { defineCommand } from "../../command.js";
import {
  databaseFor,
  hintCommand,
  PLATFORM_OPTIONS,
  platformFor,
  WORKER_OPTION,
  workerFor,
} from "../../platform-options.js";

/**
 * `blastwall d1 restore <db> --before <migration> | --bookmark <id>`: the last-resort lever. It refuses while writes
 * are on (the `disable_writes` flag is off), because writes landing during a restore are lost.
 */
export default defineCommand({
  name: "d1 restore",
  group: "Incident",
  summary: "Restore a D1 database to a restore point (refuses while disable_writes is off)",
  positionals: [{ name: "database", description: "binding or database_name", required: true }],
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    before: {
      type: "string",
      description: "restore the point taken before this migration",
      valueName: "<migration>",
    },
    bookmark: { type: "string", description: "restore this bookmark", valueName: "<id>" },
    force: { type: "boolean", description: "restore even though writes are on (needs --reason)" },
    reason: { type: "string", description: "why writes stay on; recorded in the output", valueName: "<text>" },
  },
  json: true,
  examples: [
    "blastwall flags set disable_writes on && blastwall d1 restore shop --before 0004_drop_status.sql",
    "blastwall d1 restore shop --bookmark <id> --force --reason 'staging, no traffic'",
  ],
  run: async (ctx) => {
    const before = ctx.options.before;
    let bookmark = ctx.options.bookmark;
    if ((before === undefined) === (bookmark === undefined)) {
      throw new UsageError(
        "give exactly one of --before <migration> or --bookmark <id>",
        `see \`${hintCommand("d1 restore-points", ctx.options)}\``,
      );
    }
    const { platform, projectDir } = await platformFor(ctx, ["d1", "flags"]);
    const worker = workerFor(ctx, projectDir);
    const database = databaseFor(worker.config, ctx.positionals[0]);
    const force = ctx.options.force;
    const reason = ctx.options.reason;
    if (force && !reason) throw new UsageError("--force needs --reason", 'add --reason "why writes stay on"');
    const flags = await platform.listFlags();
    const writesOff = flags.some((f) => f.name === "disable_writes" && f.value === "1");
    if (!writesOff && !force) {
      throw new BlastwallError(`refusing to restore ${database} while writes are on (disable_writes is off)`, {
        kind: "failure",
        fix: `stop writes first: \`${hintCommand("flags set disable_writes on", { ...ctx.options, worker: undefined })}\`, or pass --force --reason "..."`,
      });
    }
    if (before) {
      const points = await platform.listRestorePoints(worker.name, database);
      const point = points.find((p) => p.beforeMigration === before);
      if (!point) {
        throw new BlastwallError(`no restore point of ${database} was taken before ${before}`, {
          fix: `pick one from \`${hintCommand(`d1 restore-points --database ${database}`, ctx.options)}\``,
        });
      }
      bookmark = point.bookmark;
    }
    const id = bookmark ?? "";
    const step = ctx.out.step(`restore ${database} to ${id}`);
    await platform.restore(worker.name, database, id);
    step.ok(writesOff ? "writes were off" : `forced: ${reason}`);
    if (ctx.options.json)
      ctx.out.data({ database, bookmark: id, writesOff, ...(force ? { forced: true, reason } : {}) });
    return 0;
  },
});
