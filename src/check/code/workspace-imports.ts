import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { workspaceDirs, workspaceRoot } from "../../project/workspaces.js";
import { resolveModuleFile } from "./module-exports.js";

/**
 * Imports of the repo's own workspace packages (`import { Schema } from "@acme/shared"`), resolved to their source
 * files the way the package manager would link them, so constants and schemas a Worker imports from a sibling
 * package are read like its own modules. Installed packages (not part of the repo) stay unresolved.
 */

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** Every path a package.json `exports` entry (string, or nested conditions) names, in written order. */
function exportPaths(entry: unknown): string[] {
  if (typeof entry === "string") return [entry];
  if (Array.isArray(entry)) return entry.flatMap(exportPaths);
  if (entry && typeof entry === "object") return Object.values(entry).flatMap(exportPaths);
  return [];
}

/** The paths package.json names for `sub` ("" for the package itself): its `exports` entry, else types/module/main. */
function declaredEntries(pkg: Record<string, unknown>, sub: string): string[] {
  const exports = pkg.exports;
  const key = sub ? `./${sub}` : ".";
  if (typeof exports === "string" || Array.isArray(exports)) return sub ? [] : exportPaths(exports);
  if (exports && typeof exports === "object") {
    const map = exports as Record<string, unknown>;
    const keyed = Object.keys(map).some((k) => k.startsWith("."));
    return exportPaths(keyed ? map[key] : sub ? undefined : map);
  }
  return sub ? [] : [pkg.types, pkg.module, pkg.main].filter((x): x is string => typeof x === "string");
}

/** A source file for `sub` of the package in `dir`: what package.json names (a built path mapped back to `src/`), else `src/…`. */
function entryFile(dir: string, sub: string): string | undefined {
  const pkg = (readJson(join(dir, "package.json")) ?? {}) as Record<string, unknown>;
  const named = declaredEntries(pkg, sub).flatMap((p) => {
    const clean = p.replace(/\.d\.(m|c)?ts$/, ".ts");
    return [clean, clean.replace(/^(\.\/)?(dist|build|lib|out)\//, "$1src/")];
  });
  const fallbacks = sub ? [sub, `src/${sub}`] : ["src/index", "index"];
  for (const p of [...named, ...fallbacks]) {
    const file = resolveModuleFile(join(dir, p));
    if (file) return file;
  }
  return undefined;
}

/** The workspace packages by name in `root`. */
function packagesIn(root: string, patterns: readonly string[]): Map<string, string> {
  const byName = new Map<string, string>();
  for (const d of workspaceDirs(root, patterns)) {
    const name = (readJson(join(d, "package.json")) as { name?: unknown } | undefined)?.name;
    if (typeof name === "string" && !byName.has(name)) byName.set(name, d);
  }
  return byName;
}

/**
 * Resolves a bare specifier to the source file of one of the repo's workspace packages (packages listed once per
 * workspace root, the root found once per folder); undefined for anything else.
 *
 * @example
 * // packages/shared/package.json: { "name": "@acme/shared", "main": "src/index.ts" }
 * const viaWorkspace = createWorkspaceResolver();
 * viaWorkspace("/repo/apps/api/src/index.ts", "@acme/shared"); // "/repo/packages/shared/src/index.ts"
 */
export function createWorkspaceResolver(): (fromFile: string, specifier: string) => string | undefined {
  const rootOf = new Map<string, ReturnType<typeof workspaceRoot>>();
  const packagesOf = new Map<string, Map<string, string>>();
  const packagesFor = (dir: string): Map<string, string> | undefined => {
    if (!rootOf.has(dir)) rootOf.set(dir, workspaceRoot(dir));
    const ws = rootOf.get(dir);
    if (!ws) return undefined;
    let byName = packagesOf.get(ws.root);
    if (!byName) {
      byName = packagesIn(ws.root, ws.patterns);
      packagesOf.set(ws.root, byName);
    }
    return byName;
  };
  return (fromFile, specifier) => {
    if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.includes(":")) return undefined;
    const parts = specifier.split("/");
    const scoped = specifier.startsWith("@");
    const dir = packagesFor(dirname(fromFile))?.get(parts.slice(0, scoped ? 2 : 1).join("/"));
    return dir ? entryFile(dir, parts.slice(scoped ? 2 : 1).join("/")) : undefined;
  };
}
