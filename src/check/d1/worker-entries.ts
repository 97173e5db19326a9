import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { isScriptFile, listSources } from "../code/files.js";

// Hono's Pages build plugins; both bundle `entry`, by default the first of these that exists.
const HONO_PAGES =
  /^import\s+(\w+)\s+from\s+["'](?:@hono\/vite-build\/cloudflare-pages|@hono\/vite-cloudflare-pages)["']/m;
const HONO_DEFAULT_ENTRIES = ["src/index.tsx", "app/server.ts"];
const VITE_CONFIGS = ["vite.config.ts", "vite.config.mts", "vite.config.js", "vite.config.mjs"];

/** The text of the first `name(` call's arguments, up to its closing parenthesis. */
function callArguments(text: string, name: string): string | undefined {
  const at = new RegExp(`\\b${name}\\s*\\(`).exec(text);
  if (!at) return undefined;
  let depth = 0;
  for (let i = at.index + at[0].length - 1; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return text.slice(at.index + at[0].length, i);
  }
  return undefined;
}

/** The entry files Hono's Pages build plugin bundles, from vite.config; undefined when it is not used. */
function honoPagesEntries(dir: string): string[] | undefined {
  for (const name of VITE_CONFIGS) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, "utf8");
    const plugin = HONO_PAGES.exec(text)?.[1];
    if (!plugin) return undefined;
    const args = callArguments(text, plugin);
    if (args === undefined) return undefined;
    const entry = /\bentry\s*:\s*(\[[^\]]*\]|["'][^"']+["'])/.exec(args)?.[1];
    if (entry === undefined && /\bentry\s*:/.test(args)) return undefined;
    const listed = entry ? [...entry.matchAll(/["']([^"']+)["']/g)].map((m) => m[1] ?? "") : HONO_DEFAULT_ENTRIES;
    const found = listed.map((e) => resolve(dir, e)).find((e) => existsSync(e));
    return found ? [found] : undefined;
  }
  return undefined;
}

/**
 * The files a Worker's deploy starts from, when they can be told: `main`; for a Pages project, the entry that
 * Hono's Pages build plugin bundles and every Pages Function under `functions/`. Undefined when the deploy may load
 * modules no import names (`find_additional_modules`, `rules`) or the entries are not known.
 *
 * @example
 * workerEntries(config); // ["/app/src/index.tsx"] for a Hono Pages app built with @hono/vite-build/cloudflare-pages
 */
export function workerEntries(config: WranglerConfig): string[] | undefined {
  if (config.raw.find_additional_modules === true || config.raw.rules !== undefined) return undefined;
  const dir = dirname(config.path);
  if (config.main) {
    const main = resolve(dir, config.main);
    return isScriptFile(main) && existsSync(main) ? [main] : undefined;
  }
  if (typeof config.raw.pages_build_output_dir !== "string") return undefined;
  const functions = existsSync(join(dir, "functions")) ? listSources(join(dir, "functions")) : [];
  const built = honoPagesEntries(dir);
  if (!built && functions.length === 0) return undefined;
  return [...(built ?? []), ...functions];
}
