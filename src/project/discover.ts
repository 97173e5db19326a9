import { type Dirent, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { BlastwallError } from "../core/errors.js";
import { CONFIG_FILE_NAMES, loadWranglerConfig, type WranglerConfig } from "./wrangler-config.js";

const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".wrangler", ".blastwall", "coverage", ".turbo", ".cache"]);

export interface FindConfigsOptions {
  /** How deep below the project dir to look; monorepos rarely nest Workers deeper. */
  maxDepth?: number;
}

/**
 * Lists the wrangler config files under a project dir. Symlinked directories are not followed,
 * so link loops cannot trap the walk. Where a folder holds more than one config, wrangler's own
 * precedence applies (json, then jsonc, then toml).
 *
 * @example
 * findWranglerConfigs("examples/shop"); // ["…/api/wrangler.jsonc", "…/consumer/wrangler.jsonc"]
 */
export function findWranglerConfigs(dir: string, { maxDepth = 6 }: FindConfigsOptions = {}): string[] {
  const root = resolve(dir);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(root);
  } catch {
    throw new BlastwallError(`project directory not found: ${dir}`, {
      location: { file: dir },
      fix: "pass the folder that holds your wrangler config, e.g. `blastwall check ./my-worker`",
    });
  }
  if (st.isFile()) return [root];
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    const here = CONFIG_FILE_NAMES.find((n) => entries.some((e) => e.isFile() && e.name === n));
    if (here) found.push(join(d, here));
    if (depth >= maxDepth) return;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(join(d, e.name), depth + 1);
    }
  };
  walk(root, 0);
  return found.sort();
}

export interface Project {
  root: string;
  workers: WranglerConfig[];
}

/** Loads every Worker config of a project. Fails with exit 2 when there is none, naming the folder. */
export function loadProject(dir: string): Project {
  const root = resolve(dir);
  const paths = findWranglerConfigs(root);
  if (paths.length === 0) {
    throw new BlastwallError(`no wrangler.toml, wrangler.json or wrangler.jsonc found under ${dir}`, {
      location: { file: dir },
      fix: "run blastwall from your Worker's folder, or pass it as an argument",
    });
  }
  return { root, workers: paths.map((p) => loadWranglerConfig(p)) };
}

export function relativeTo(root: string, path: string): string {
  return relative(root, path) || ".";
}
