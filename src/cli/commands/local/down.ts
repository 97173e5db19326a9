import { findProjectDir, stopEdge } from "../../../platform/local/daemon.js";
import { defineCommand } from "../../command.js";
import { PROJECT_OPTION } from "../../platform-options.js";

/** `blastwall local down`: stops the project's local edge; its state stays for the next `local up`. */
export default defineCommand({
  name: "local down",
  group: "Local edge",
  summary: "Stop the local edge (state under .blastwall/local/ is kept)",
  options: {
    ...PROJECT_OPTION,
  },
  examples: ["blastwall local down"],
  run: async ({ options, cwd, out }) => {
    const projectDir = findProjectDir(cwd, options.project);
    const stopped = await stopEdge(projectDir);
    out.line(stopped ? `local edge stopped (pid ${stopped.pid})` : `no local edge runs for ${projectDir}`);
    return 0;
  },
});
