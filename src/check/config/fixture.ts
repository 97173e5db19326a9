import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Analyzer, CheckOptions } from "../analyzer.js";
import type { Finding } from "../findings.js";
import { runCheck } from "../run-check.js";

/**
 * Writes a throwaway project for tests and benches: `{ "wrangler.toml": "...", "src/index.ts": "..." }`.
 *
 * @example
 * const dir = writeProject({ "wrangler.toml": 'name = "a"' });
 */
export function writeProject(files: Record<string, string>, dir = mkdtempSync(join(tmpdir(), "bw-check-"))): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs git in a fixture with a fixed author, for `--base` tests. */
export function gitIn(dir: string, ...args: string[]): void {
  execFileSync("git", ["-C", dir, ...args], {
    stdio: "ignore",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@x",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@x",
    },
  });
}

/** Runs the given analyzers over a fixture and returns the findings of one rule (all when rule is omitted). */
export async function findingsOf(
  dir: string,
  analyzers: readonly Analyzer[],
  rule?: string,
  options: CheckOptions = {},
): Promise<Finding[]> {
  const { findings } = await runCheck(dir, { analyzers, ...options });
  return rule ? findings.filter((f) => f.rule === rule) : findings;
}
