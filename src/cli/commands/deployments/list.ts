import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, table, WORKER_OPTION, workerFor } from "../../platform-options.js";

/** `blastwall deployments list`: every deployment and rollback of a Worker, newest first, with its message. */
export default defineCommand({
  name: "deployments list",
  group: "Release",
  summary: "List a Worker's deployments and rollbacks, newest first",
  options: { ...PLATFORM_OPTIONS, ...WORKER_OPTION },
  json: true,
  examples: ["blastwall deployments list", "blastwall deployments list --json"],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["versions"]);
    const { name } = workerFor(ctx, projectDir);
    const deployments = await platform.listDeployments(name);
    if (ctx.options.json) {
      ctx.out.data({ worker: name, deployments });
      return 0;
    }
    if (deployments.length === 0) {
      ctx.out.line(`${name}: never deployed`);
      return 0;
    }
    const rows = [["id", "created", "kind", "split", "message"]];
    for (const d of deployments) {
      const split = d.versions.map((e) => `${shortId(e.versionId)}@${e.percentage}%`).join(" ");
      rows.push([shortId(d.id), d.createdAt, d.kind, split, d.message ?? ""]);
    }
    ctx.out.line(ctx.out.bold(name));
    for (const l of table(rows)) ctx.out.line(`  ${l}`);
    return 0;
  },
});
