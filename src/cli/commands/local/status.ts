import { createLocalPlatform } from "../../../platform/local/client.js";
import { readEdgeFile } from "../../../platform/local/edge-file.js";
import { findProjectDir } from "../../../platform/local/find-project.js";
import { defineCommand } from "../../command.js";
import { hintCommand, PROJECT_OPTION, shortId } from "../../platform-options.js";

/** `blastwall local status`: is the edge up, where, and what each Worker serves. Exit 1 when it is down. */
export default defineCommand({
  name: "local status",
  group: "Local edge",
  summary: "Show whether the local edge runs, its ports and each Worker's deployment",
  options: {
    ...PROJECT_OPTION,
  },
  json: true,
  examples: ["blastwall local status", "blastwall local status --json"],
  run: async ({ options, cwd, out }) => {
    const projectDir = findProjectDir(cwd, options.project);
    if (!readEdgeFile(projectDir)) {
      if (options.json) out.data({ running: false, projectDir });
      else
        out.line(`local edge: not running for ${projectDir} (start it with \`${hintCommand("local up", options)}\`)`);
      return 1;
    }
    const platform = createLocalPlatform({ projectDir });
    const status = await platform.status();
    const dashboard = platform.dashboardUrl();
    if (options.json) {
      out.data({ running: true, ...status, dashboardUrl: platform.dashboardUrl({ withToken: false }) });
      return 0;
    }
    out.line(`local edge: running (pid ${status.pid}, since ${status.startedAt})`);
    out.line(
      `  router     ${status.routerUrl}${status.defaultWorker ? `  (default Worker: ${status.defaultWorker})` : ""}`,
    );
    out.line(`  control    ${status.controlUrl}`);
    out.line(`  dashboard  ${dashboard}`);
    for (const w of status.workers) {
      const split =
        w.deployment?.versions.map((e) => `${shortId(e.versionId)}@${e.percentage}%`).join(" ") ?? "not deployed";
      out.line(`  ${out.bold(w.name)}  ${w.versions} version(s)  ${split}`);
    }
    return 0;
  },
});
