import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "jsonc-parser";
import { resolveModuleFile } from "./module-exports.js";

/** A tsconfig's `paths`, with the folder its targets are relative to. */
interface PathMap {
  base: string;
  paths: [pattern: string, targets: string[]][];
}

function readPathMap(file: string): PathMap | undefined {
  let json: unknown;
  try {
    json = parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const options: unknown = typeof json === "object" && json !== null ? Reflect.get(json, "compilerOptions") : undefined;
  if (typeof options !== "object" || options === null) return undefined;
  const paths: unknown = Reflect.get(options, "paths");
  const baseUrl: unknown = Reflect.get(options, "baseUrl");
  if (typeof paths !== "object" || paths === null) return undefined;
  const entries = Object.entries(paths).flatMap(([k, v]): [string, string[]][] =>
    Array.isArray(v) ? [[k, v.filter((t): t is string => typeof t === "string")]] : [],
  );
  return { base: resolve(dirname(file), typeof baseUrl === "string" ? baseUrl : "."), paths: entries };
}

function match(pattern: string, specifier: string): string | undefined {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === specifier ? "" : undefined;
  const [pre, post] = [pattern.slice(0, star), pattern.slice(star + 1)];
  const fits = specifier.startsWith(pre) && specifier.endsWith(post) && specifier.length >= pre.length + post.length;
  return fits ? specifier.slice(pre.length, specifier.length - post.length) : undefined;
}

/**
 * Resolves bare specifiers through the nearest tsconfig.json's `compilerOptions.paths` (e.g. `@/lib/db` →
 * src/lib/db.ts). Only that tsconfig is read (no `extends`); a specifier no pattern maps stays a package.
 *
 * @example
 * const viaPaths = createPathsResolver();
 * viaPaths("/app/src/routes/a.ts", "@/lib/db"); // "/app/src/lib/db.ts"
 */
export function createPathsResolver(): (fromFile: string, specifier: string) => string | undefined {
  const byDir = new Map<string, PathMap | undefined>();
  const mapFor = (dir: string): PathMap | undefined => {
    if (byDir.has(dir)) return byDir.get(dir);
    const file = join(dir, "tsconfig.json");
    const parent = dirname(dir);
    const found = existsSync(file) ? readPathMap(file) : parent !== dir ? mapFor(parent) : undefined;
    byDir.set(dir, found);
    return found;
  };
  return (fromFile, specifier) => {
    const map = mapFor(dirname(fromFile));
    for (const [pattern, targets] of map?.paths ?? []) {
      const hole = match(pattern, specifier);
      if (hole === undefined) continue;
      for (const t of targets) {
        const file = resolveModuleFile(resolve(map?.base ?? "", t.replace("*", hole)));
        if (file) return file;
      }
    }
    return undefined;
  };
}
