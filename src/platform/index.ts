import { parseTarget } from "../core/target.js";
import { createCloudflarePlatform } from "./cloudflare/index.js";
import { createLocalPlatform, type LocalPlatform } from "./local/client.js";
import { findProjectDir } from "./local/daemon.js";
import type { Platform, TargetName } from "./platform.js";

export type { Platform, TargetName } from "./platform.js";

export interface CreatePlatformOptions {
  target?: TargetName | string;
  /** The project dir; for the local target, where `.blastwall/local/` lives (default: found from cwd). */
  projectDir?: string;
  cwd?: string;
  /** A wrangler environment every call defaults to (Cloudflare: `<name>-<env>` and that env's bindings). */
  env?: string;
  /** Local: the command that starts the edge, for the "not running" hint (the CLI repeats the user's options). */
  localStartCommand?: string;
}

/**
 * Builds the Platform for a target. Commands take `--target local|cloudflare` and call this.
 *
 * @example
 * const platform = createPlatform({ target: "local", projectDir: "examples/shop" });
 */
export function createPlatform(options: CreatePlatformOptions & { target?: "local" }): LocalPlatform;
export function createPlatform(options: CreatePlatformOptions): Platform;
export function createPlatform({
  target,
  projectDir,
  cwd = process.cwd(),
  env,
  localStartCommand,
}: CreatePlatformOptions): Platform {
  if (parseTarget(target) === "local") {
    const dir = findProjectDir(cwd, projectDir);
    return createLocalPlatform({ projectDir: dir, ...(localStartCommand ? { startCommand: localStartCommand } : {}) });
  }
  return createCloudflarePlatform({ projectDir: projectDir ?? cwd, ...(env ? { env } : {}) });
}
