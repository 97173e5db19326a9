import { resolve } from "node:path";
import type { OptionSpecs } from "./command.js";
import { ENV_OPTION, TARGET_OPTION, VAR_OPTION } from "./platform-options.js";

/** Flags `plan` and `release` share, so both read a project the same way. */
export const RELEASE_OPTIONS = {
  config: {
    type: "string",
    description:
      "the wrangler config of the Worker to ship, when it is not the one under the project folder (the name comes from it)",
    valueName: "<file>",
  },
  ...TARGET_OPTION,
  ...ENV_OPTION,
  ...VAR_OPTION,
} as const satisfies OptionSpecs;

/**
 * `--config <file>`, resolved against the working directory, as a spread for `loadReleaseContext`.
 *
 * @example
 * loadReleaseContext(dir, worker, { single: true, ...configOption(options.config, cwd) });
 */
export function configOption(config: string | undefined, cwd: string): { configPath?: string } {
  return config !== undefined && config.length > 0 ? { configPath: resolve(cwd, config) } : {};
}
