import { notify } from "../../ci/webhook.js";
import { defineCommand } from "../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, WORKER_OPTION, workerFor, YES_OPTION } from "../platform-options.js";

/** `blastwall rollback`: returns all traffic to one version at once, with no analysis. */
export default defineCommand({
  name: "rollback",
  group: "Release",
  summary: "Send 100% of traffic back to the last version that served 100% (or --to <id>) at once",
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    to: { type: "string", description: "version to return to (id, 8-char prefix or tag)", valueName: "<id>" },
    message: { type: "string", short: "m", description: "why (kept with the deployment)", valueName: "<text>" },
    ...YES_OPTION,
    force: {
      type: "boolean",
      description: "roll back although the pre-flight predicts a refusal (changed secrets); needs --message",
    },
  },
  json: true,
  examples: [
    "blastwall rollback",
    "blastwall rollback --to 4f2a91c0 --message '5xx spike on checkout'",
    "blastwall rollback --target cloudflare --env staging --force --message 'API_KEY rotated back by hand'",
  ],
  run: async (ctx) => {
    const { platform, projectDir } = await platformFor(ctx, ["versions"]);
    const { name } = workerFor(ctx, projectDir);
    const to = ctx.options.to;
    const message = ctx.options.message;
    const before = await platform.currentDeployment(name);
    const deployment = await platform.rollback(name, {
      ...(to ? { to } : {}),
      ...(message ? { message } : {}),
      ...(ctx.options.force ? { force: true } : {}),
    });
    const was = before?.versions.map((e) => `${shortId(e.versionId)}@${e.percentage}%`).join(" ") ?? "nothing";
    const said = `${name}: rolled back to ${shortId(deployment.versions[0]?.versionId ?? "")} at 100% (was ${was}); deployment ${shortId(deployment.id)}${message ? `: ${message}` : ""}`;
    if (ctx.options.json) ctx.out.data(deployment);
    else ctx.out.line(said);
    await notify(
      { event: "rollback", subject: name, target: platform.target, message: said },
      { env: ctx.env, out: ctx.out },
    );
    return 0;
  },
});
