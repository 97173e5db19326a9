import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { applyEdits, modify } from "jsonc-parser";
import { loadWranglerConfig } from "../project/wrangler-config.js";

export interface DemoWorkspaceOptions {
  /** The app to copy, e.g. examples/shop. */
  source: string;
  /** Where the copy goes, inside the repo so `blastwall` and `hono` resolve from node_modules up the tree. */
  dir: string;
}

const SKIP = new Set(["node_modules", ".blastwall", ".wrangler", "test", "vitest.config.ts", "blastwall.config.ts"]);

/**
 * The demo works on a fresh copy of the example app, so it can add migrations and ship faulty builds without
 * touching the repo. The copy imports `blastwall/*` through the installed package, as any app does.
 *
 * @example
 * const ws = prepareDemoWorkspace({ source: "examples/shop", dir: ".blastwall/demo/shop" });
 */
export function prepareDemoWorkspace({ source, dir }: DemoWorkspaceOptions): string {
  const target = resolve(dir);
  rmSync(target, { recursive: true, force: true });
  cpSync(resolve(source), target, {
    recursive: true,
    filter: (src) => !SKIP.has(src.split(/[\\/]/).pop() ?? ""),
  });
  return target;
}

/** Sets a consumer's retry settings in the copy, so the demo's poison flood reaches the DLQ in seconds. */
export function setConsumerRetries(configPath: string, queue: string, maxRetries: number, retryDelay: number): void {
  let text = readFileSync(configPath, "utf8");
  const cfg = loadWranglerConfig(configPath);
  const index = cfg.queues.consumers.findIndex((c) => c.queue === queue);
  if (index < 0) return;
  for (const [key, value] of [
    ["max_retries", maxRetries],
    ["retry_delay", retryDelay],
  ] as const) {
    text = applyEdits(text, modify(text, ["queues", "consumers", index, key], value, {}));
  }
  writeFileSync(configPath, text);
}

/** The highest-numbered migration file in a dir, for naming the next one. */
export function nextMigrationNumber(dir: string): string {
  const nums = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => /^(\d+)_/.exec(f)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
    : [];
  return String(Math.max(0, ...nums) + 1).padStart(4, "0");
}
