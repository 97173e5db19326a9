import { cpus } from "node:os";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export interface Bench {
  /** Same as the file name: `npm run bench -- <name>` runs bench/<name>.ts. */
  name: string;
  /** What is measured against what: every bench compares to a baseline run in the same process. */
  description: string;
  run(): Promise<BenchResult[]>;
  /** Optional plain-language lines that lead the output: the headline figures and what they leave out. */
  summary?(results: BenchResult[]): string[];
}

/**
 * Declares a benchmark.
 *
 * @example
 * export default defineBench({ name: "cli", description: "startup vs bare node", run: async () => [] });
 */
export function defineBench(bench: Bench): Bench {
  return bench;
}

export function machine(): { cpus: number; node: string; model: string } {
  const list = cpus();
  return { cpus: list.length, node: process.version, model: list[0]?.model.trim() ?? "unknown" };
}

/** Nearest-rank percentile of an unsorted sample; q in [0, 1]. */
export function percentile(sample: readonly number[], q: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

export function median(sample: readonly number[]): number {
  return percentile(sample, 0.5);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many pairs. */
  n: number;
}

/**
 * The ratios b[i] / a[i] of samples taken in pairs (a run of each, back to back, so drift on a shared machine hits
 * both): their median and range. A ratio of two medians can pair a quiet run with a disturbed one; these cannot.
 *
 * @example
 * pairedRatios([1, 1.1, 1], [2, 2.4, 2.1]); // { median: 2.1, min: 2, max: 2.18…, n: 3 }
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): Spread {
  const ratios = a.slice(0, b.length).map((x, i) => (b[i] ?? Number.NaN) / x);
  return {
    median: median(ratios),
    min: ratios.length ? Math.min(...ratios) : Number.NaN,
    max: ratios.length ? Math.max(...ratios) : Number.NaN,
    n: ratios.length,
  };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Runs `a` and `b` interleaved (ABAB...) so drift on a shared machine hits both equally,
 * and returns each one's samples in milliseconds.
 */
export async function interleaved(
  rounds: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const order: ["a" | "b", () => Promise<unknown>][] =
      i % 2 === 0
        ? [
            ["a", a],
            ["b", b],
          ]
        : [
            ["b", b],
            ["a", a],
          ];
    for (const [k, fn] of order) {
      const t0 = performance.now();
      await fn();
      out[k].push(performance.now() - t0);
    }
  }
  return out;
}
