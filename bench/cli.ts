import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { defineBench, interleaved, median, percentile, round } from "./lib.js";

const bin = fileURLToPath(new URL("../bin/blastwall.js", import.meta.url));

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

/** CLI start-up: `blastwall --version` against a bare `node -e ""` in the same run. */
export default defineBench({
  name: "cli",
  description: "blastwall --version start-up time vs bare node start-up (ratio, same process, interleaved)",
  run: async () => {
    const rounds = 15;
    const { a: cli, b: bare } = await interleaved(
      rounds,
      () => run([bin, "--version"]),
      () => run(["-e", ""]),
    );
    return [
      { name: "cli_startup_p50_ms", value: round(median(cli), 1), unit: "ms" },
      { name: "node_startup_p50_ms", value: round(median(bare), 1), unit: "ms" },
      { name: "startup_p50_ratio", value: round(median(cli) / median(bare), 2), unit: "ratio" },
      { name: "startup_p90_ratio", value: round(percentile(cli, 0.9) / percentile(bare, 0.9), 2), unit: "ratio" },
    ];
  },
});
