import { UsageError } from "../../../core/errors.js";
import { defineCommand } from "../../command.js";
import {
  ENV_OPTION,
  PLATFORM_OPTIONS,
  platformFor,
  shortId,
  VAR_OPTION,
  WORKER_OPTION,
  workerFor,
} from "../../platform-options.js";

function parseVars(list: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var ${item} is not KEY=VALUE`, "write it as --var FEATURE_X=1");
    vars[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return vars;
}

/** `blastwall versions upload`: bundles a Worker with wrangler and registers a new version (0% traffic). */
export default defineCommand({
  name: "versions upload",
  group: "Release",
  summary: "Build a Worker with wrangler and upload it as a new version (it gets no traffic yet)",
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    tag: { type: "string", description: "short tag, e.g. a git sha or v2", valueName: "<tag>" },
    message: { type: "string", description: "what changed", valueName: "<text>" },
    ...ENV_OPTION,
    ...VAR_OPTION,
  },
  json: true,
  examples: [
    "blastwall versions upload --tag v2 --message 'faster checkout'",
    "blastwall versions upload --worker shop-consumer",
  ],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["versions"]);
    const worker = workerFor(ctx, projectDir);
    const tag = ctx.options.tag;
    const message = ctx.options.message;
    const env = ctx.options.env;
    const vars = parseVars(ctx.options.var);
    const step = ctx.out.step(`upload ${worker.name}`);
    try {
      const version = await platform.uploadVersion({
        worker: worker.name,
        configPath: worker.config.path,
        ...(tag ? { tag } : {}),
        ...(message ? { message } : {}),
        ...(env ? { env } : {}),
        ...(Object.keys(vars).length ? { vars } : {}),
      });
      step.ok(`version ${version.id}${tag ? ` (${tag})` : ""}`);
      if (ctx.options.json) ctx.out.data(version);
      else {
        const current = await platform.currentDeployment(worker.name);
        const stable = current?.versions.reduce((a, b) => (b.percentage > a.percentage ? b : a));
        const id = shortId(version.id);
        ctx.out.line(
          stable
            ? `ramp it with: blastwall versions deploy ${id}@10 ${shortId(stable.versionId)}@90 --worker ${worker.name}`
            : `deploy it with: blastwall versions deploy ${id}@100 --worker ${worker.name}`,
        );
      }
      return 0;
    } catch (err) {
      step.fail();
      throw err;
    }
  },
});
