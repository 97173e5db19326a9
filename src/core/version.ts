import { readFileSync } from "node:fs";

/**
 * blastwall's own version, from its package.json (the same relative path from `src/core` and `dist/core`).
 *
 * @example
 * packageVersion(); // "0.1.0"
 */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string"
    ? pkg.version
    : "0.0.0";
}
