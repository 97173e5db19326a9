import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type MigrationOrder, migrationOrderOf } from "../core/migration-order.js";

const cache = new Map<string, string | undefined>();

function readVersion(base: string): string | undefined {
  try {
    const pkg = createRequire(base).resolve("wrangler/package.json");
    const parsed = JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The version of the wrangler a project runs: its own install first, then the one blastwall was installed with
 * (the same search as the local edge's bundler).
 *
 * @example
 * wranglerVersionFor("examples/shop"); // "4.86.0"
 */
export function wranglerVersionFor(projectDir: string): string | undefined {
  if (cache.has(projectDir)) return cache.get(projectDir);
  const version = readVersion(join(projectDir, "package.json")) ?? readVersion(import.meta.url);
  cache.set(projectDir, version);
  return version;
}

/**
 * The order the project's wrangler applies D1 migrations in.
 *
 * @example
 * sortMigrations(files, { order: migrationOrderFor(projectDir) });
 */
export function migrationOrderFor(projectDir: string): MigrationOrder {
  return migrationOrderOf(wranglerVersionFor(projectDir));
}

/**
 * The version of the wrangler whose `bin/wrangler.js` is at `binPath`, or of the one blastwall was installed with.
 *
 * @example
 * migrationOrderOf(wranglerVersionOfBin(undefined)); // the order blastwall's own wrangler applies
 */
export function wranglerVersionOfBin(binPath: string | undefined): string | undefined {
  if (binPath === undefined) return readVersion(import.meta.url);
  try {
    const parsed = JSON.parse(readFileSync(join(dirname(dirname(binPath)), "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof parsed.version === "string" ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}
