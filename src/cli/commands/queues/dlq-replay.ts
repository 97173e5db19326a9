import { BlastwallError } from "../../../core/errors.js";
import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, table } from "../../platform-options.js";

/**
 * `blastwall queues dlq replay <queue>`: after the fix is out, sends the dead letters of `<queue>` back to it.
 * Idempotent: a dead letter leaves the DLQ only once it was re-sent, so a second run sends nothing twice.
 */
export default defineCommand({
  name: "queues dlq replay",
  group: "Incident",
  summary: "Re-enqueue the dead letters of a queue once the fix is out (idempotent)",
  description:
    "<queue> is the source queue; its DLQ is the consumer's dead_letter_queue. --dry-run lists what would go back (count, ids, a body preview) and changes nothing.",
  positionals: [{ name: "queue", description: "the source queue (not the DLQ)", required: true }],
  options: {
    ...PLATFORM_OPTIONS,
    "dry-run": { type: "boolean", description: "list the dead letters; replay nothing" },
  },
  json: true,
  examples: ["blastwall queues dlq replay order-events --dry-run", "blastwall queues dlq replay order-events"],
  run: async (ctx) => {
    const { platform } = await platformFor(ctx, ["queues"]);
    const queue = ctx.positionals[0] ?? "";
    if (!platform.replayDeadLetters) {
      throw new BlastwallError(`the ${platform.target} target cannot replay dead letters`, {
        fix: "use --target local or --target cloudflare",
      });
    }
    const dryRun = ctx.options["dry-run"];
    const result = await platform.replayDeadLetters(queue, { dryRun });
    if (ctx.options.json) {
      ctx.out.data({ ...result, count: result.messages.length });
      return 0;
    }
    const n = result.messages.length;
    const left = result.remaining === undefined ? "" : ` (${result.remaining} left in ${result.deadLetterQueue})`;
    ctx.out.line(
      dryRun
        ? `${n} dead letter(s) in ${result.deadLetterQueue} would go back to ${queue}`
        : `replayed ${n} dead letter(s) from ${result.deadLetterQueue} into ${queue}${left}`,
    );
    if (n > 0) {
      const rows = [["id", "attempts", "body"]];
      for (const m of result.messages) rows.push([shortId(m.id), String(m.attempts ?? "-"), m.preview]);
      for (const l of table(rows)) ctx.out.line(`  ${l}`);
    }
    return 0;
  },
});
