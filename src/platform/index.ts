import { parseTarget } from "../core/target.js";
import type { LocalPlatform } from "./local/client.js";
import { findProjectDir } from "./local/find-project.js";
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
 * Builds the Platform for a target. Commands take `--target local|cloudflare` and call this. Only the chosen
 * target's modules load, so a local lever never pays for the Cloudflare client, nor a Cloudflare one for the edge's.
 *
 * @example
 * const platform = await createPlatform({ target: "local", projectDir: "examples/shop" });
 */
export async function createPlatform(options: CreatePlatformOptions & { target?: "local" }): Promise<LocalPlatform>;
export async function createPlatform(options: CreatePlatformOptions): Promise<Platform>;
export async function createPlatform({
  target,
  projectDir,
  cwd = process.cwd(),
  env,
  localStartCommand,
}: CreatePlatformOptions): Promise<Platform> {
  if (parseTarget(target) === "local") {
    const dir = findProjectDir(cwd, projectDir);
    const { createLocalPlatform } = await import("./local/client.js");
    return createLocalPlatform({ projectDir: dir, ...(localStartCommand ? { startCommand: localStartCommand } : {}) });
  }
  const { createCloudflarePlatform } = await import("./cloudflare/index.js");
  return createCloudflarePlatform({ projectDir: projectDir ?? cwd, ...(env ? { env } : {}) });
}
