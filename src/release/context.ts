import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import { createPlatform } from "../platform/index.js";
import type { Platform, TargetName } from "../platform/platform.js";
import {
  checkWorkerNames,
  type LoadedConfig,
  loadBlastwallConfig,
  type ResolvedWorkerConfig,
  resolveWorkerConfig,
} from "../project/blastwall-config.js";
import { loadProject } from "../project/discover.js";
import { loadWranglerConfig, type WranglerConfig } from "../project/wrangler-config.js";
import { workerName } from "./plan.js";

/** What `plan` and `release` share: the project, the chosen Workers with their settings, and the platform. */

/** Opens the platform of a target (the local edge or Cloudflare). */
export async function openPlatform(target: TargetName, projectDir: string): Promise<Platform> {
  return createPlatform({ target, projectDir });
}

export interface ReleaseTarget {
  wrangler: WranglerConfig;
  config: ResolvedWorkerConfig;
}

export interface ReleaseContext {
  projectDir: string;
  loaded: LoadedConfig;
  workers: ReleaseTarget[];
}

export interface LoadReleaseContextOptions {
  /** Exactly one Worker must be chosen (by `--worker`, `--config`, or because the project has only one). */
  single: boolean;
  env?: string;
  /**
   * `--config <wrangler file>`: the Worker's wrangler config, wherever it lives (a generated or per-environment
   * file, a Worker outside the project folder). The Worker's name comes from it; the project folder still
   * supplies blastwall.config.ts, the migrations' project root and the platform.
   */
  configPath?: string;
}

/**
 * Loads the project, its blastwall config and the Workers to act on.
 *
 * @example
 * const ctx = await loadReleaseContext(".", "shop-api", { single: true });
 * const ctx2 = await loadReleaseContext(".", undefined, { single: true, configPath: "api/wrangler.staging.jsonc" });
 */
export async function loadReleaseContext(
  dir: string,
  worker: string | undefined,
  { single, env, configPath }: LoadReleaseContextOptions,
): Promise<ReleaseContext> {
  const projectDir = resolve(dir);
  const loaded = await loadBlastwallConfig(projectDir);
  const toTarget = (w: WranglerConfig): ReleaseTarget => {
    const settings = env ? { ...w, ...(w.env[env] ?? {}) } : w;
    return { wrangler: w, config: resolveWorkerConfig(loaded.config, workerName(w), settings) };
  };
  if (configPath !== undefined) {
    const w = loadWranglerConfig(resolve(configPath));
    const name = workerName(w);
    if (worker !== undefined && worker !== name)
      throw new UsageError(
        `--worker ${worker} does not match the Worker "${name}" named in ${configPath}`,
        `drop --worker, or pass the config of ${worker}`,
      );
    return { projectDir, loaded, workers: [toTarget(w)] };
  }
  const project = loadProject(projectDir);
  const names = project.workers.map(workerName);
  checkWorkerNames(loaded, names);
  let chosen = project.workers;
  if (worker !== undefined) {
    chosen = project.workers.filter((w) => workerName(w) === worker);
    if (chosen.length === 0)
      throw new UsageError(`no Worker named "${worker}" in ${dir}`, `pick one of: ${names.join(", ")}`);
  } else if (single && chosen.length > 1) {
    throw new UsageError(
      `this project has ${chosen.length} Workers; release one at a time`,
      `add --worker ${names[0]} (or: ${names.slice(1).join(", ")})`,
    );
  }
  return { projectDir, loaded, workers: chosen.map(toTarget) };
}
