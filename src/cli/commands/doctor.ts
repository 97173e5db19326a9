import { createCloudflarePlatform } from "../../platform/cloudflare/index.js";
import { findProjectDir } from "../../platform/local/find-project.js";
import { defineCommand } from "../command.js";
import { ENV_OPTION, PROJECT_OPTION, table } from "../platform-options.js";

/** `blastwall doctor`: checks the Cloudflare API token before a release needs it. */
export default defineCommand({
  name: "doctor",
  group: "Project",
  summary: "Verify the Cloudflare API token and every permission the project's bindings need",
  options: { ...PROJECT_OPTION, ...ENV_OPTION },
  json: true,
  examples: ["blastwall doctor", "blastwall doctor --env staging --json"],
  run: async (ctx) => {
    const projectDir = findProjectDir(ctx.cwd, ctx.options.project);
    const env = ctx.options.env;
    const cf = createCloudflarePlatform({ projectDir, processEnv: ctx.env, ...(env ? { env } : {}) });
    const report = await cf.doctor();
    const missing = report.scopes.filter((s) => s.status === "missing");
    if (ctx.options.json) ctx.out.data(report);
    else {
      ctx.out.line(`token ${report.token.id}: ${report.token.status}; account ${report.account}`);
      const rows = report.scopes.map((s) => [s.status, s.permission, s.neededFor.join("; ")]);
      for (const l of table([["status", "permission", "needed for"], ...rows])) ctx.out.line(l);
      for (const s of missing) {
        ctx.out.line(
          `missing: ${s.permission} (${s.how}). Add it to the token: dash → My Profile → API Tokens → Edit.`,
        );
      }
    }
    return missing.length > 0 || report.token.status !== "active" ? 1 : 0;
  },
});
