import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, table, WORKER_OPTION, workerFor } from "../../platform-options.js";

/** `blastwall versions list`: a Worker's versions, newest first, with the share each has now. */
export default defineCommand({
  name: "versions list",
  group: "Release",
  summary: "List a Worker's versions, newest first, with their current traffic share",
  options: { ...PLATFORM_OPTIONS, ...WORKER_OPTION },
  json: true,
  examples: ["blastwall versions list", "blastwall versions list --worker shop-consumer --json"],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["versions"]);
    const { name } = workerFor(ctx, projectDir);
    const [versions, current] = await Promise.all([platform.listVersions(name), platform.currentDeployment(name)]);
    const share = (id: string) => current?.versions.find((e) => e.versionId === id)?.percentage;
    if (ctx.options.json) {
      ctx.out.data({ worker: name, versions: versions.map((v) => ({ ...v, percentage: share(v.id) ?? 0 })) });
      return 0;
    }
    if (versions.length === 0) {
      ctx.out.line(`${name}: no versions yet (upload one with \`blastwall versions upload\`)`);
      return 0;
    }
    const rows = [["id", "traffic", "created", "tag", "message"]];
    for (const v of versions) {
      const pct = share(v.id);
      rows.push([shortId(v.id), pct === undefined ? "-" : `${pct}%`, v.createdAt, v.tag ?? "", v.message ?? ""]);
    }
    ctx.out.line(ctx.out.bold(name));
    for (const l of table(rows)) ctx.out.line(`  ${l}`);
    return 0;
  },
});
