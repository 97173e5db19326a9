import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { LOCAL_STATE_DIR } from "./state.js";

// Apart from the daemon so a command finds its project without loading the edge's control server.

/** Wrangler config names, and blastwall's (kept in step with project/ without loading its parsers on a lever). */
const PROJECT_MARKERS = [
  "wrangler.json",
  "wrangler.jsonc",
  "wrangler.toml",
  "blastwall.config.ts",
  "blastwall.config.json",
];
const SKIP_BELOW = new Set(["node_modules", "dist", "coverage"]);

function* ancestors(dir: string): Generator<string> {
  for (let d = dir; ; d = dirname(d)) {
    yield d;
    if (dirname(d) === d) return;
  }
}

/** Folders below `dir` (not hidden, not installed packages) with a running edge, at most `depth` levels down. */
function edgesBelow(dir: string, depth: number): string[] {
  const found: string[] = [];
  const walk = (d: string, left: number) => {
    if (left === 0) return;
    let entries: { name: string; isDirectory(): boolean }[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith(".") || SKIP_BELOW.has(e.name)) continue;
      const sub = join(d, e.name);
      if (existsSync(join(sub, LOCAL_STATE_DIR, "edge.json"))) found.push(sub);
      else walk(sub, left - 1);
    }
  };
  walk(dir, depth);
  return found;
}

/**
 * The project dir a command acts on: `--project` when given; else the nearest folder at or above cwd with a running
 * edge; else the one running edge below cwd (so the repo root finds `local up --project examples/shop`); else, from
 * inside a project (no wrangler config at or below cwd), the nearest folder above with a blastwall config, then with
 * a wrangler config; else cwd.
 *
 * @example
 * findProjectDir("examples/shop/api/src"); // ".../examples/shop" (it has blastwall.config.ts)
 */
export function findProjectDir(cwd: string, explicit?: string): string {
  if (explicit) return resolve(cwd, explicit);
  const start = resolve(cwd);
  for (const dir of ancestors(start)) if (existsSync(join(dir, LOCAL_STATE_DIR, "edge.json"))) return dir;
  const below = edgesBelow(start, 3);
  if (below.length === 1 && below[0]) return below[0];
  const has = (dir: string, names: string[]) => names.some((n) => existsSync(join(dir, n)));
  if (has(start, PROJECT_MARKERS)) return start;
  const up = [...ancestors(dirname(start))];
  return (
    up.find((d) => has(d, PROJECT_MARKERS.slice(3))) ?? up.find((d) => has(d, PROJECT_MARKERS.slice(0, 3))) ?? start
  );
}
