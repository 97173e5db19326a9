import { UsageError } from "./errors.js";

/** Where the Workers run: the local edge (Miniflare) or Cloudflare. */
export const TARGETS = ["local", "cloudflare"] as const;

export type TargetName = (typeof TARGETS)[number];

/**
 * Reads a `--target` value, the only place that does; `undefined` gives the command's default.
 *
 * @example
 * parseTarget(undefined); // "local"
 * parseTarget(undefined, "cloudflare"); // "cloudflare"
 * parseTarget("prod"); // throws UsageError: unknown --target "prod"
 */
export function parseTarget(value: string | undefined, fallback: TargetName = "local"): TargetName {
  if (value === undefined) return fallback;
  const found = TARGETS.find((t) => t === value);
  if (found === undefined) {
    throw new UsageError(`unknown --target "${value}"`, `use ${TARGETS.map((t) => `--target ${t}`).join(" or ")}`);
  }
  return found;
}
