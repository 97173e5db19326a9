import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BenchResult, defineBench, median, percentile, round } from "./lib.js";

const bin = fileURLToPath(new URL("../bin/blastwall.js", import.meta.url));

/** Runs `node <args>` to the end; rejects unless it exits with `expected`. */
function run(args: string[], expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "ignore", env: { ...process.env, CI: "true" } });
    child.on("error", reject);
    child.on("exit", (code) => (code === expected ? resolve() : reject(new Error(`${args.join(" ")}: exit ${code}`))));
  });
}

/**
 * How many modules (ESM files, node: built-ins left out) `node <args>` loads: written by a loader hook, one URL a
 * line. Deterministic where the timings are noisy, and it says where start-up time goes.
 */
function modulesLoaded(dir: string, args: string[]): number {
  const list = join(dir, "loaded.txt");
  const hooks = join(dir, "hooks.mjs");
  const setup = join(dir, "setup.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";\nexport async function load(url, ctx, next) { if (!url.startsWith("node:")) appendFileSync(${JSON.stringify(list)}, url + "\\n"); return next(url, ctx); }\n`,
  );
  writeFileSync(
    setup,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  writeFileSync(list, "");
  spawnSync(process.execPath, ["--import", setup, ...args], { stdio: "ignore", env: { ...process.env, CI: "true" } });
  return readFileSync(list, "utf8").split("\n").filter(Boolean).length;
}

/**
 * Runs every condition once per round, the starting one rotating each round, so drift on a shared machine hits all
 * alike; returns each condition's samples in milliseconds.
 */
async function rotated(
  rounds: number,
  conditions: Record<string, () => Promise<void>>,
): Promise<Map<string, number[]>> {
  const names = Object.keys(conditions);
  const samples = new Map(names.map((n) => [n, [] as number[]]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length] ?? "";
      const t0 = performance.now();
      await conditions[name]?.();
      samples.get(name)?.push(performance.now() - t0);
    }
  }
  return samples;
}

/**
 * CLI start-up, per command kind, each against a bare `node -e ""` in the same run: `--version` (no command module),
 * `--help` (every command module loaded), `flags list --help` (one lever's module) and `flags list` with no edge
 * running (a lever up to its first platform call, which fails fast: exit 2), and how many modules each loads (the
 * timings on a shared machine are noisy; the module count is not). Left out: the commands' own work.
 */
export default defineBench({
  name: "cli",
  description:
    'blastwall start-up per command kind (--version, --help, flags list --help, flags list failing fast without an edge) vs bare `node -e ""` (ratio, same process, rotated), and the modules each loads',
  run: async () => {
    const noEdge = mkdtempSync(join(tmpdir(), "bw-bench-cli-"));
    try {
      const argv: Record<string, [string[], number]> = {
        node: [["-e", ""], 0],
        version: [[bin, "--version"], 0],
        help: [[bin, "--help"], 0],
        lever_help: [[bin, "flags", "list", "--help"], 0],
        lever_no_edge: [[bin, "flags", "list", "--project", noEdge], 2],
      };
      const samples = await rotated(
        15,
        Object.fromEntries(Object.entries(argv).map(([name, [args, code]]) => [name, () => run(args, code)])),
      );
      const bare = samples.get("node") ?? [];
      const results: BenchResult[] = [{ name: "node_startup_p50_ms", value: round(median(bare), 1), unit: "ms" }];
      for (const [name, s] of samples) {
        if (name === "node") continue;
        results.push(
          { name: `${name}_p50_ms`, value: round(median(s), 1), unit: "ms" },
          { name: `${name}_p50_ratio`, value: round(median(s) / median(bare), 2), unit: "ratio" },
          { name: `${name}_p90_ratio`, value: round(percentile(s, 0.9) / percentile(bare, 0.9), 2), unit: "ratio" },
          { name: `${name}_modules_loaded`, value: modulesLoaded(noEdge, argv[name]?.[0] ?? []), unit: "modules" },
        );
      }
      return results;
    } finally {
      rmSync(noEdge, { recursive: true, force: true });
    }
  },
});
