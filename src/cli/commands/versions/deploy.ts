import { UsageError } from "../../../core/errors.js";
import type { SplitEntry } from "../../../platform/platform.js";
import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, WORKER_OPTION, workerFor } from "../../platform-options.js";

/** Parses `<id>@<pct>` (a bare `<id>` means 100%). */
export function parseSplitArg(arg: string): SplitEntry {
  const at = arg.lastIndexOf("@");
  if (at < 0) return { versionId: arg, percentage: 100 };
  const versionId = arg.slice(0, at);
  const raw = arg.slice(at + 1).replace(/%$/, "");
  const percentage = Number(raw);
  if (!versionId || raw === "" || !Number.isFinite(percentage)) {
    throw new UsageError(`"${arg}" is not <version>@<percent>`, "write it like 4f2a91c0@10");
  }
  return { versionId, percentage };
}

/** `blastwall versions deploy <id>@<pct> [<id>@<pct>]`: puts a split of at most two versions in force. */
export default defineCommand({
  name: "versions deploy",
  group: "Release",
  summary: "Deploy a split of one or two versions, e.g. <new>@10 <old>@90",
  positionals: [
    {
      name: "split",
      description: "<version>@<percent>, once or twice (ids, 8-char prefixes or tags)",
      required: true,
      variadic: true,
    },
  ],
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    message: { type: "string", description: "why", valueName: "<text>" },
  },
  json: true,
  examples: ["blastwall versions deploy 4f2a91c0@100", "blastwall versions deploy v2@10 v1@90 --message canary"],
  run: async (ctx) => {
    if (ctx.positionals.length > 2)
      throw new UsageError("a deployment holds at most 2 versions", "give one or two <version>@<percent>");
    const split = ctx.positionals.map(parseSplitArg);
    const { platform, projectDir } = platformFor(ctx);
    const { name } = workerFor(ctx, projectDir);
    const message = ctx.options.message;
    const deployment = await platform.deploy(name, split, message ? { message } : {});
    if (ctx.options.json) ctx.out.data(deployment);
    else {
      const parts = deployment.versions.map((e) => `${shortId(e.versionId)} ${e.percentage}%`).join(", ");
      ctx.out.line(`${name}: deployment ${shortId(deployment.id)} in force: ${parts}`);
    }
    return 0;
  },
});
