import { resolve } from "node:path";
import type { OptionSpec } from "./command.js";

/** Flags `plan` and `release` share, so both read a project the same way. */
export const RELEASE_OPTIONS: Record<"target" | "env" | "var" | "config", OptionSpec> = {
  config: {
    type: "string",
    description:
      "the wrangler config of the Worker to ship, when it is not the one under the project folder (the name comes from it)",
    valueName: "<file>",
  },
  target: { type: "string", description: "local (default) or cloudflare", valueName: "<target>" },
  env: { type: "string", description: "wrangler environment", valueName: "<env>" },
  var: {
    type: "string",
    multiple: true,
    description: "a var baked into the candidate at upload, KEY=VALUE (repeatable); counts as a code change",
    valueName: "<KEY=VALUE>",
  },
};

/**
 * `--config <file>`, resolved against the working directory, as a spread for `loadReleaseContext`.
 *
 * @example
 * loadReleaseContext(dir, worker, { single: true, ...configOption(options, cwd) });
 */
export function configOption(options: Record<string, unknown>, cwd: string): { configPath?: string } {
  const v = options.config;
  return typeof v === "string" && v.length > 0 ? { configPath: resolve(cwd, v) } : {};
}
