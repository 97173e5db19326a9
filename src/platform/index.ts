import { BlastwallError } from "../cli/errors.js";
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
}

/** The targets this build ships. */
export const TARGETS: readonly TargetName[] = ["local", "cloudflare"];

/**
 * Builds the Platform for a target. Commands take `--target local|cloudflare` and call this.
 *
 * @example
 * const platform = createPlatform({ target: "local", projectDir: "examples/shop" });
 */
export function createPlatform(options: CreatePlatformOptions & { target?: "local" }): LocalPlatform;
export function createPlatform(options: CreatePlatformOptions): Platform;
export function createPlatform({ target = "local", projectDir, cwd = process.cwd() }: CreatePlatformOptions): Platform {
  if (target === "local") return createLocalPlatform({ projectDir: findProjectDir(cwd, projectDir) });
  if (target === "cloudflare") return createCloudflarePlatform({ projectDir: projectDir ?? cwd });
  throw new BlastwallError(`unknown target "${target}"`, { fix: `use one of: ${TARGETS.join(", ")}` });
}
