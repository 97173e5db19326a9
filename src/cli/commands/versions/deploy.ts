import { UsageError } from "../../../core/errors.js";
import type { SplitEntry } from "../../../platform/platform.js";
import { defineCommand } from "../../command.js";
import {
  PLATFORM_OPTIONS,
  platformFor,
  shortId,
  WORKER_OPTION,
  workerFor,
  YES_OPTION,
} from "../../platform-options.js";

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

/**
 * The split from `<id>@<pct>` arguments, or from wrangler's `--version-id <id> --percentage <pct>` pairs (in order).
 */
export function splitOf(positionals: string[], ids: string[], percentages: string[]): SplitEntry[] {
  if (ids.length === 0) {
    if (percentages.length)
      throw new UsageError("--percentage needs --version-id", "pair each --percentage with a --version-id");
    return positionals.map(parseSplitArg);
  }
  if (positionals.length)
    throw new UsageError("give the split once", "use <id>@<pct> arguments or --version-id/--percentage, not both");
  if (percentages.length !== ids.length && !(ids.length === 1 && percentages.length === 0))
    throw new UsageError(
      `${ids.length} --version-id but ${percentages.length} --percentage`,
      "give one --percentage per --version-id",
    );
  return ids.map((id, i) => parseSplitArg(percentages[i] === undefined ? id : `${id}@${percentages[i]}`));
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
      variadic: true,
    },
  ],
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    ...YES_OPTION,
    message: { type: "string", short: "m", description: "why", valueName: "<text>" },
    "version-id": {
      type: "string",
      multiple: true,
      description: "as in wrangler: a version to deploy (repeat for a split, paired with --percentage)",
      valueName: "<id>",
    },
    percentage: {
      type: "string",
      multiple: true,
      description: "as in wrangler: the share of the --version-id at the same position",
      valueName: "<pct>",
    },
  },
  json: true,
  examples: [
    "blastwall versions deploy 4f2a91c0@100",
    "blastwall versions deploy v2@10 v1@90 --message canary -y",
    "blastwall versions deploy --version-id v2 --percentage 10 --version-id v1 --percentage 90",
  ],
  run: async (ctx) => {
    const split = splitOf(ctx.positionals, ctx.options["version-id"], ctx.options.percentage);
    if (split.length === 0) throw new UsageError("no version to deploy", "give <version>@<percent>, e.g. 4f2a91c0@100");
    if (split.length > 2)
      throw new UsageError("a deployment holds at most 2 versions", "give one or two <version>@<percent>");
    const { platform, projectDir } = await platformFor(ctx, ["versions"]);
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
