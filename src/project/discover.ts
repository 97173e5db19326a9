import { statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { BlastwallError } from "../core/errors.js";
import { entriesOf } from "./workspaces.js";
import { CONFIG_FILE_NAMES, loadWranglerConfig, type WranglerConfig } from "./wrangler-config.js";

const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".wrangler", ".blastwall", "coverage", ".turbo", ".cache"]);

export interface FindConfigsOptions {
  /**
   * How deep below the project dir to look. No limit by default: a config skipped for its depth would be a Worker
   * checked by no one without a word (installs, build output and dot-folders are never walked).
   */
  maxDepth?: number;
  /** Also list `wrangler.<name>.{toml,json,jsonc}` and `wrangler-<name>.*` (used with `wrangler -c`); check reads them, the edge does not. */
  variants?: boolean;
}

/**
 * `wrangler.production.toml`, `wrangler.staging.jsonc`, `wrangler-cron.toml`: configs used with `wrangler -c <file>`.
 * wrangler reads any file name given to `-c`, and a second Worker of a folder is often named with a dash.
 */
const VARIANT = /^wrangler[.-][\w-]+\.(toml|json|jsonc)$/;
/** `wrangler.jsonc.example`, `wrangler.example.toml`, `wrangler-sample.toml`: templates that wrangler never reads. */
const EXAMPLE =
  /^wrangler([.-][\w-]+)?\.(toml|json|jsonc)\.(example|sample|template|dist)$|^wrangler([.-][\w-]+)?[.-](example|sample|template|dist)\.(toml|json|jsonc)$/;

/**
 * The config name wrangler reads for a template.
 *
 * @example
 * templateTarget("wrangler.toml.template"); // "wrangler.toml"  (and "wrangler.example.jsonc" → "wrangler.jsonc")
 */
export function templateTarget(template: string): string {
  return template.replace(/\.(example|sample|template|dist)$/, "").replace(/[.-](example|sample|template|dist)\./, ".");
}

export interface ConfigScan {
  configs: string[];
  /** Templates found on the way, to name when there is no real config. */
  examples: string[];
  /** Templates in folders that hold no config wrangler reads: Workers check cannot see, to name. */
  unread: string[];
}

/** Walks a project dir for wrangler configs (and templates). */
export function scanWranglerConfigs(
  dir: string,
  { maxDepth = Number.POSITIVE_INFINITY, variants = false }: FindConfigsOptions = {},
): ConfigScan {
  const root = resolve(dir);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(root);
  } catch {
    throw new BlastwallError(`project directory not found: ${dir}`, {
      location: { file: dir },
      fix: "pass the folder that holds your wrangler config, e.g. `blastwall check ./my-worker`",
    });
  }
  if (st.isFile()) return { configs: [root], examples: [], unread: [] };
  const scan: ConfigScan = { configs: [], examples: [], unread: [] };
  const walk = (d: string, depth: number) => {
    const entries = entriesOf(d);
    const files = entries.filter((e) => e.isFile()).map((e) => e.name);
    const here = CONFIG_FILE_NAMES.find((n) => files.includes(n));
    if (here) scan.configs.push(join(d, here));
    // `wrangler.example.toml` looks like a variant but is a template.
    const variantFiles = variants ? files.filter((n) => VARIANT.test(n) && !EXAMPLE.test(n)).sort() : [];
    for (const f of variantFiles) scan.configs.push(join(d, f));
    for (const f of files.filter((n) => EXAMPLE.test(n))) {
      scan.examples.push(join(d, f));
      // Beside variants only (`wrangler.pages.toml`), a template stands for the default config the folder lacks.
      if (!here && !variantFiles.includes(templateTarget(f))) scan.unread.push(join(d, f));
    }
    if (depth >= maxDepth) return;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(join(d, e.name), depth + 1);
    }
  };
  walk(root, 0);
  scan.configs.sort();
  scan.unread.sort();
  return scan;
}

/**
 * Lists the wrangler config files under a project dir: per folder the one wrangler reads by default (json, then
 * jsonc, then toml), and with `variants` every `wrangler.<name>.{toml,json,jsonc}` used with `wrangler -c`.
 * Symlinked directories are not followed, so link loops cannot trap the walk.
 *
 * @example
 * findWranglerConfigs("examples/shop"); // ["…/api/wrangler.jsonc", "…/consumer/wrangler.jsonc"]
 */
export function findWranglerConfigs(dir: string, options: FindConfigsOptions = {}): string[] {
  return scanWranglerConfigs(dir, options).configs;
}

export interface Project {
  root: string;
  workers: WranglerConfig[];
  /**
   * Config templates (`wrangler.toml.template`, `wrangler.example.json`, …) in folders with no config wrangler
   * reads: `read` ones are among `workers` (read in place of the config a setup step writes from them), `unreadable`
   * ones did not parse. Only with {@link LoadProjectOptions.templates}.
   */
  templates?: { read: string[]; unreadable: { path: string; reason: string }[] };
  /**
   * Configs found that do not parse, each with wrangler's reading of why, when others of the project do. Only with
   * {@link LoadProjectOptions.unreadable}.
   */
  unreadable?: UnreadableConfig[];
}

/** A config that does not parse: where and why, and how to fix it. */
export interface UnreadableConfig {
  path: string;
  reason: string;
  line?: number;
  column?: number;
  fix?: string;
}

export interface LoadProjectOptions {
  /** `--config <file>` (repeatable): read exactly these configs instead of searching the folder. */
  configs?: readonly string[];
  /** Also read `wrangler.<name>.*` variants (see {@link FindConfigsOptions.variants}). */
  variants?: boolean;
  /** Read the templates of folders that hold no config, as their Worker's config (check does; the edge does not). */
  templates?: boolean;
  /**
   * List the configs found that do not parse in `unreadable` and go on with the others (check does, so that one
   * broken file does not hide the rest of a monorepo); without it, or when none parses, the first one fails the load.
   */
  unreadable?: boolean;
}

/** Each config parsed, in order, and those whose load threw an error `tolerated` accepts; any other error is thrown. */
function loadEach(
  paths: readonly string[],
  tolerated: (err: unknown) => boolean,
): { loaded: { path: string; config: WranglerConfig }[]; failed: { path: string; err: Error }[] } {
  const loaded: { path: string; config: WranglerConfig }[] = [];
  const failed: { path: string; err: Error }[] = [];
  for (const path of paths) {
    try {
      loaded.push({ path, config: loadWranglerConfig(path) });
    } catch (err) {
      if (!tolerated(err)) throw err;
      failed.push({ path, err: err as Error });
    }
  }
  return { loaded, failed };
}

/** Each config parsed, or with `tolerate` (while another parses) listed as unreadable. */
function loadConfigs(
  paths: readonly string[],
  tolerate: boolean,
): { workers: WranglerConfig[]; unreadable: UnreadableConfig[] } {
  const { loaded, failed } = loadEach(
    paths,
    (err) => tolerate && err instanceof BlastwallError && err.kind === "input",
  );
  const first = failed[0];
  if (loaded.length === 0 && first) throw first.err;
  const unreadable = failed.map(({ path, err }): UnreadableConfig => {
    const { location, fix } = err as BlastwallError;
    return {
      path,
      reason: err.message,
      ...(location?.line === undefined ? {} : { line: location.line }),
      ...(location?.column === undefined ? {} : { column: location.column }),
      ...(fix === undefined ? {} : { fix }),
    };
  });
  return { workers: loaded.map((l) => l.config), unreadable };
}

/** Templates parsed as configs; those that do not parse (placeholders, not a config yet) are listed with why. */
function loadTemplates(paths: readonly string[]): {
  workers: WranglerConfig[];
  templates: NonNullable<Project["templates"]>;
} {
  const { loaded, failed } = loadEach(paths, () => true);
  return {
    workers: loaded.map((l) => l.config),
    templates: {
      read: loaded.map((l) => l.path),
      unreadable: failed.map(({ path, err }) => ({ path, reason: err.message })),
    },
  };
}

/**
 * Loads every Worker config of a project. Fails with exit 2 when there is none, naming the folder and any
 * template (`wrangler.jsonc.example`) it found instead (with `templates`, only when none of them parses).
 *
 * @example
 * loadProject("examples/shop").workers.length; // 2
 */
export function loadProject(
  dir: string,
  { configs, variants = false, templates = false, unreadable = false }: LoadProjectOptions = {},
): Project {
  const root = resolve(dir);
  if (configs && configs.length > 0) return { root, workers: configs.map((p) => loadWranglerConfig(resolve(p))) };
  const scan = scanWranglerConfigs(root, { variants });
  const fromTemplates = templates ? loadTemplates(scan.unread) : undefined;
  const found = loadConfigs(scan.configs, unreadable && scan.configs.length + (fromTemplates?.workers.length ?? 0) > 1);
  const workers = [...found.workers, ...(fromTemplates?.workers ?? [])];
  if (workers.length === 0) {
    const examples = scan.examples.map((p) => relativeTo(root, p));
    throw new BlastwallError(
      `no wrangler.toml, wrangler.json or wrangler.jsonc found under ${dir}${examples.length > 0 ? ` (only the template${examples.length > 1 ? "s" : ""} ${examples.join(", ")}, which wrangler does not read)` : ""}`,
      {
        location: { file: dir },
        fix:
          examples.length > 0
            ? `copy the template to the name wrangler reads (e.g. \`cp ${examples[0]} ${templateTarget(examples[0] ?? "")}\`), or pass it with --config`
            : "run blastwall from your Worker's folder, or pass it as an argument",
      },
    );
  }
  return {
    root,
    workers,
    ...(fromTemplates ? { templates: fromTemplates.templates } : {}),
    ...(found.unreadable.length > 0 ? { unreadable: found.unreadable } : {}),
  };
}

export function relativeTo(root: string, path: string): string {
  return relative(root, path) || ".";
}
