import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_EXTENSIONS } from "./source.js";

const SKIP_DIRS = new Set([
  "node_modules",
  "dist",
  "build",
  "coverage",
  "test",
  "tests",
  "__tests__",
  "__mocks__",
  "fixtures",
]);

/** A JavaScript or TypeScript file, the only language the code rules parse (a Python Worker's entry.py is not). */
export function isScriptFile(name: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext));
}

function isSource(name: string): boolean {
  if (name.endsWith(".d.ts") || /\.(test|spec)\.[cm]?[jt]sx?$/.test(name)) return false;
  return isScriptFile(name);
}

/**
 * Whether a path relative to a Worker's source folder is one `listSources` would list there (same skipped folders
 * and files), for sources read from somewhere other than the disk, such as a git ref.
 */
export function isSourcePath(rel: string): boolean {
  const parts = rel.split("/");
  const name = parts.pop() ?? "";
  return isSource(name) && parts.every((d) => !SKIP_DIRS.has(d) && !d.startsWith("."));
}

export interface ListSourcesOptions {
  /** Stop after this many files: a guard against pointing `main` at a huge tree. */
  maxFiles?: number;
}

/**
 * The Worker's own source files under `dir`: TypeScript and JavaScript, without tests, type declarations,
 * dependencies or build output. Symlinked directories are not followed, so link loops cannot trap the walk.
 *
 * @example
 * listSources("examples/shop/api/src"); // [".../carts.ts", ".../index.ts", ...]
 */
export function listSources(dir: string, { maxFiles = 50_000 }: ListSourcesOptions = {}): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= maxFiles) return;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) visit(join(d, e.name));
      } else if ((e.isFile() || e.isSymbolicLink()) && isSource(e.name)) {
        out.push(join(d, e.name));
      }
    }
  };
  visit(dir);
  return out;
}
