import { type Dirent, existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { resolveModuleFile } from "../code/module-exports.js";

/**
 * Whether the source read for a Worker is all of its code: no import reaches outside the folder read (a relative
 * path above it, a workspace package, a tsconfig alias). Only then can "no source file names x" mean "no code does".
 */

const IMPORT =
  /\b(?:import|export)\s[^;'"`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\bimport\s+["']([^"']+)["']|\brequire\s*\(\s*["']([^"']+)["']\s*\)/g;
/** Version specs that point into the repository rather than at the registry. */
const LOCAL_SPEC = /^(workspace:|file:|link:|portal:|\*$)/;
const MAX_DEPTH = 4;

/** Every module specifier a source text imports, exports from or requires. */
export function specifiers(text: string): string[] {
  return [...text.matchAll(IMPORT)].flatMap((m) => [m[1] ?? m[2] ?? m[3] ?? m[4] ?? ""]).filter((s) => s !== "");
}

// `import type … from` and `export type … from` load nothing at run time, so their target holds no code that runs.
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;'"`]*?\bfrom\s*["']([^"']+)["']/g;
// Node's own modules named bare (`crypto`, `fs/promises`): workerd serves them under nodejs_compat, and no table is
// named in them.
const BUILTIN = new Set(builtinModules);

/** The specifiers a source text loads at run time: `specifiers` less its type-only imports and exports. */
function runtimeSpecifiers(text: string): string[] {
  return specifiers(text.replace(TYPE_ONLY, " "));
}

/** Packages that hold type declarations only (`@types/node`, `@cloudflare/workers-types`). */
function typesOnlyPackage(name: string): boolean {
  return name.startsWith("@types/") || name === "@cloudflare/workers-types";
}

/** `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`. */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}

interface PackageJson {
  name?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  peerDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
}

function readJson(path: string): PackageJson | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

/** The folders from `dir` up to the project's `root` (both included; just `dir` when it is not under `root`). */
function upwards(dir: string, root: string): string[] {
  const out: string[] = [];
  let at = resolve(dir);
  const top = resolve(root);
  for (;;) {
    out.push(at);
    if (at === top || !at.startsWith(top + sep) || dirname(at) === at) break;
    at = dirname(at);
  }
  return out;
}

/** Names of the packages that live in the repository (any package.json under `root`, not in node_modules). */
function localPackages(root: string): Set<string> {
  const names = new Set<string>();
  const visit = (d: string, depth: number) => {
    const name = readJson(join(d, "package.json"))?.name;
    if (typeof name === "string") names.add(name);
    if (depth >= MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries)
      if (e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith(".")) visit(join(d, e.name), depth + 1);
  };
  visit(root, 0);
  return names;
}

/** Registry packages the Worker may import: declared in a package.json above it, not pointing into the repository. */
function registryPackages(folders: readonly string[]): Set<string> {
  const out = new Set<string>();
  const local = localPackages(folders[folders.length - 1] ?? ".");
  for (const f of folders) {
    const pkg = readJson(join(f, "package.json"));
    for (const deps of [pkg?.dependencies, pkg?.devDependencies, pkg?.peerDependencies, pkg?.optionalDependencies])
      for (const [name, spec] of Object.entries(deps ?? {}))
        if (typeof spec === "string" && !LOCAL_SPEC.test(spec) && !local.has(name)) out.add(name);
  }
  return out;
}

/**
 * Whether the files read under `folder` are the Worker's whole code: every import that loads code at run time is
 * relative and stays inside `folder`, a runtime module (`node:fs`, `cloudflare:workers`, bare `crypto`), a package of
 * types only, or a registry package declared in a package.json above the folder. A workspace package, a path alias
 * (`@/db`, `~/lib`) or `../shared` may hold the code that names a table, so the answer is then no.
 *
 * @example
 * readsWholeCode("apps/api/src", [{ path: "apps/api/src/index.ts", text: 'import { db } from "@acme/db";' }], "."); // false
 */
export function readsWholeCode(
  folder: string,
  files: readonly { path: string; text: string }[],
  projectRoot: string,
): boolean {
  const root = resolve(folder);
  let registry: Set<string> | undefined;
  for (const { path, text } of files)
    for (const spec of runtimeSpecifiers(text)) {
      if (spec.startsWith(".")) {
        const target = resolve(dirname(path), spec);
        if (target !== root && !target.startsWith(root + sep)) return false;
        continue;
      }
      const name = packageName(spec);
      if (/^[a-z]+:/.test(spec) || BUILTIN.has(spec) || typesOnlyPackage(name)) continue;
      registry ??= registryPackages(upwards(root, projectRoot));
      if (!registry.has(name)) return false;
    }
  return true;
}

// A dynamic import or require whose target is computed: what it loads cannot be followed.
const COMPUTED_LOAD = /\bimport\s*\(\s*[^"'\s)]|\brequire\s*\(\s*[^"'\s)]/;
// Imports of files that are not modules of code (styles, data, assets): nothing to follow.
const ASSET =
  /\.(css|scss|sass|less|json|html?|svg|png|jpe?g|gif|webp|ico|wasm|txt|md|sql|ya?ml|toml|graphql|gql)(\?.*)?$/i;

// What `resolveModuleFile` does not try: other script extensions, and folder entries in them.
const ALSO = [".jsx", ".cjs", ".cts", "/index.tsx", "/index.jsx", "/index.mjs"];

/** The text with its comments blanked, so a word like "import (…" in prose is not read as code. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:\\])\/\/[^\n]*/gm, "$1");
}

export interface ReachedFromOptions {
  /** The Worker's entry files (`main`, a Pages build's entry, Pages Functions), absolute. */
  entries: readonly string[];
  /** Every source file read for the Worker, with its text. */
  files: readonly { path: string; text: string }[];
  /** Resolves a bare specifier through tsconfig paths; undefined when it names a package. */
  viaPaths?: (fromFile: string, specifier: string) => string | undefined;
}

/**
 * The files the entries import, directly or through others: the code that is deployed. Undefined when that cannot be
 * told for sure (a computed `import(x)`, a folder import whose entry is no script), so callers read every file. A
 * module missing from the repository is passed over.
 *
 * @example
 * reachedFrom({ entries: ["/app/src/index.ts"], files })?.has("/app/src/old-index.ts"); // false when nothing imports it
 */
export function reachedFrom({ entries, files, viaPaths }: ReachedFromOptions): Set<string> | undefined {
  const text = new Map(files.map((f) => [resolve(f.path), f.text]));
  const starts = entries.map((e) => resolve(e));
  if (starts.length === 0 || starts.some((s) => !text.has(s))) return undefined;
  const seen = new Set<string>(starts);
  const queue = [...starts];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const source = withoutComments(text.get(file) ?? "");
    if (COMPUTED_LOAD.test(source)) return undefined;
    for (const spec of specifiers(source)) {
      if (ASSET.test(spec)) continue;
      let target: string | undefined;
      if (spec.startsWith(".")) {
        const base = resolve(dirname(file), spec);
        target = [base, ...ALSO.map((a) => `${base}${a}`)].map(resolveModuleFile).find((t) => t !== undefined);
        // A folder whose entry is not a file we read: what it loads cannot be followed. A module missing from the
        // repository altogether loads nothing here.
        if (!target && existsSync(base)) return undefined;
      } else target = viaPaths?.(file, spec);
      const next = target && resolve(target);
      if (next && text.has(next) && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}
