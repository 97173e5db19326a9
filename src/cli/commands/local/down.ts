import { findProjectDir, stopEdge } from "../../../platform/local/daemon.js";
import { defineCommand, stringOption } from "../../command.js";

/** `blastwall local down`: stops the project's local edge; its state stays for the next `local up`. */
export default defineCommand({
  name: "local down",
  group: "Local edge",
  summary: "Stop the local edge (state under .blastwall/local/ is kept)",
  options: {
    project: { type: "string", description: "project folder (default: found from cwd)", valueName: "<dir>" },
  },
  examples: ["blastwall local down"],
  run: async ({ options, cwd, out }) => {
    const projectDir = findProjectDir(cwd, stringOption(options, "project"));
    const stopped = await stopEdge(projectDir);
    out.line(stopped ? `local edge stopped (pid ${stopped.pid})` : `no local edge runs for ${projectDir}`);
    return 0;
  },
});
