import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { globRegExp } from "./d1-migrations.js";

/** A folder's entries, or none when it cannot be read (missing, a file, no permission). */
export function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A path inside `node_modules` read from a package other than where it is written. */
export interface PackagePath {
  /** The package the path names, e.g. "@acme/core". */
  pkg: string;
  /** Absolute folder the path resolves to. */
  dir: string;
  /** "workspace": the repo's workspace package of that name; "hoisted": an installed copy in a parent node_modules. */
  via: "workspace" | "hoisted";
}

/** `…/node_modules/@acme/core/migrations` → { pkg: "@acme/core", rest: "migrations" }; undefined outside node_modules. */
export function packageInPath(path: string): { pkg: string; rest: string } | undefined {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf("node_modules");
  const first = parts[at + 1];
  if (at < 0 || !first) return undefined;
  const scoped = first.startsWith("@");
  const second = parts[at + 2];
  if (scoped && !second) return undefined;
  const pkg = scoped ? `${first}/${second}` : first;
  return { pkg, rest: parts.slice(at + (scoped ? 3 : 2)).join("/") };
}

const readJson = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
};

/** `packages:` entries of a pnpm-workspace.yaml (a plain YAML list; quotes stripped). */
function pnpmPatterns(path: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const out: string[] = [];
  let inPackages = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^packages\s*:/.test(line)) inPackages = true;
    else if (/^\S/.test(line)) inPackages = false;
    else if (inPackages) {
      const item = /^\s*-\s*(['"]?)([^'"#]+?)\1\s*(#.*)?$/.exec(line)?.[2];
      if (item) out.push(item);
    }
  }
  return out;
}

/** The workspace globs declared in `dir` (package.json `workspaces`, array or `{ packages }`, or pnpm-workspace.yaml). */
export function workspacePatterns(dir: string): string[] | undefined {
  const pnpm = pnpmPatterns(join(dir, "pnpm-workspace.yaml"));
  if (pnpm) return pnpm;
  const pkg = readJson(join(dir, "package.json")) as { workspaces?: unknown } | undefined;
  const ws = pkg?.workspaces;
  const list = Array.isArray(ws) ? ws : (ws as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === "string") : undefined;
}

/** Folders under `root` (node_modules and dot-folders skipped, 4 levels deep) that the workspace globs select. */
export function workspaceDirs(root: string, patterns: readonly string[]): string[] {
  const clean = (p: string) => p.replace(/^\.\//, "").replace(/\/$/, "");
  const include = patterns.filter((p) => !p.startsWith("!")).map((p) => globRegExp(clean(p)));
  const exclude = patterns.filter((p) => p.startsWith("!")).map((p) => globRegExp(clean(p.slice(1))));
  const out: string[] = [];
  const walk = (abs: string, rel: string, depth: number) => {
    for (const e of entriesOf(abs)) {
      if (!e.isDirectory() || e.name.startsWith(".") || e.name === "node_modules") continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (include.some((re) => re.test(r)) && !exclude.some((re) => re.test(r))) out.push(join(abs, e.name));
      if (depth < 4) walk(join(abs, e.name), r, depth + 1);
    }
  };
  walk(root, "", 0);
  return out;
}

/** Whether `p` is a folder (false when it is missing or unreadable). */
export const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The nearest ancestor of `from` (itself included) that declares workspaces, with its globs. */
export function workspaceRoot(from: string): { root: string; patterns: string[] } | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const patterns = workspacePatterns(dir);
    if (patterns) return { root: dir, patterns };
    if (dirname(dir) === dir || existsSync(join(dir, ".git"))) return undefined;
  }
}

/**
 * Where a path inside `node_modules` that is not there (the packages are not installed) lives, as the package
 * manager would link it: the repo's workspace package of that name, else an installed copy in a parent
 * `node_modules` (a hoisted install). Undefined when neither exists.
 *
 * @example
 * resolvePackagePath("/repo/apps/api/node_modules/@acme/core/migrations");
 * // { pkg: "@acme/core", dir: "/repo/packages/core/migrations", via: "workspace" }
 */
export function resolvePackagePath(path: string): PackagePath | undefined {
  const named = packageInPath(path);
  if (!named) return undefined;
  const { pkg, rest } = named;
  const at = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return undefined;
  const base = path.slice(0, at);
  const ws = workspaceRoot(base);
  if (ws) {
    for (const dir of workspaceDirs(ws.root, ws.patterns)) {
      const name = (readJson(join(dir, "package.json")) as { name?: unknown } | undefined)?.name;
      if (name === pkg && isDir(join(dir, rest))) return { pkg, dir: join(dir, rest), via: "workspace" };
    }
  }
  // An install that hoisted the package to a parent node_modules, up to the workspace root.
  for (let dir = dirname(base); dirname(dir) !== dir; dir = dirname(dir)) {
    const hoisted = join(dir, "node_modules", pkg, rest);
    if (isDir(hoisted)) return { pkg, dir: hoisted, via: "hoisted" };
    if (dir === ws?.root || existsSync(join(dir, ".git"))) break;
  }
  return undefined;
}
