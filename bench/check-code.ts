import { rmSync } from "node:fs";
import { createCodeAnalyzer } from "../src/check/code/analyzer.js";
import { listSources } from "../src/check/code/files.js";
import { parseSourceFile } from "../src/check/code/source.js";
import { createConfigAnalyzer } from "../src/check/config/analyzer.js";
import { runCheck } from "../src/check/run-check.js";
import { generateCodeProject } from "./gen/code-project.js";
import { defineBench, median, round } from "./lib.js";

const SIZES = [1000, 2000] as const;
const ROUNDS = 5;

/**
 * `blastwall check` (config + code analyzers) over generated Worker projects of 1,000 and 2,000 TypeScript files.
 * Baselines in the same run: the 1,000-file time (for the 2× scaling ratio) and a bare parse of the same files
 * with ts.createSourceFile (for the analysis overhead).
 */
export default defineBench({
  name: "check-code",
  description:
    "runCheck with the config and code analyzers on generated 1,000- and 2,000-file Workers; scaling 2000/1000 and overhead vs bare parsing",
  run: async () => {
    const analyzers = [createConfigAnalyzer(), createCodeAnalyzer()];
    const dirs = SIZES.map((files) => generateCodeProject({ files }));
    const check: number[][] = SIZES.map(() => []);
    const cpu: number[][] = SIZES.map(() => []);
    const parse: number[][] = SIZES.map(() => []);
    let findings = 0;
    try {
      // Warm-up: module loading and the JIT, so the first timed size is not penalised.
      await runCheck(dirs[0] ?? "", { analyzers });
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < SIZES.length; i++) {
          const dir = dirs[i] ?? "";
          let t0 = performance.now();
          const c0 = process.cpuUsage();
          const result = await runCheck(dir, { analyzers });
          check[i]?.push((performance.now() - t0) / 1000);
          const used = process.cpuUsage(c0);
          cpu[i]?.push((used.user + used.system) / 1e6);
          findings = result.findings.length;
          t0 = performance.now();
          for (const f of listSources(`${dir}/src`)) parseSourceFile(f);
          parse[i]?.push((performance.now() - t0) / 1000);
        }
      }
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
    const t1 = median(check[0] ?? []);
    const t2 = median(check[1] ?? []);
    const p2 = median(parse[1] ?? []);
    return [
      // CPU time of this process leads: on a shared machine other jobs only add wall time.
      { name: "cpu_seconds_1000_files", value: round(median(cpu[0] ?? []), 3), unit: "s" },
      { name: "cpu_seconds_2000_files", value: round(median(cpu[1] ?? []), 3), unit: "s" },
      { name: "cpu_scaling_ratio_2x", value: round(median(cpu[1] ?? []) / median(cpu[0] ?? []), 2), unit: "ratio" },
      { name: "seconds_1000_files", value: round(t1, 3), unit: "s" },
      { name: "seconds_2000_files", value: round(t2, 3), unit: "s" },
      { name: "scaling_ratio_2x", value: round(t2 / t1, 2), unit: "ratio" },
      { name: "parse_only_seconds_2000_files", value: round(p2, 3), unit: "s" },
      { name: "analysis_overhead_ratio", value: round(t2 / p2, 2), unit: "ratio" },
      { name: "findings_2000_files", value: findings, unit: "count" },
    ];
  },
});
