/**
 * The discovery audit (`npm run realworld:discovery`, not in CI: it needs the snapshots). Issue 15 asks that `check`
 * on a monorepo reads every config and every migrations layout that wrangler reads, or says exactly what it skipped
 * and why. This walks each extracted project itself, independently of check's discovery (no depth limit; only
 * `node_modules` and `.git` are left out), and accounts for what it finds:
 *
 * - every wrangler config, variant (`wrangler.<name>.toml`, `wrangler-<name>.toml`) and template (`wrangler.toml.example`, …): read by
 *   check, or named by one of its findings (any severity);
 * - every migrations folder a D1 binding of any config it finds points at (`migrations_dir`, default `migrations`,
 *   top level and per environment): replayed by check, or named by one of its findings.
 *
 * A template beside a config that check read is not counted: wrangler never reads it, and the folder's Worker is read.
 * Anything else is printed as SILENTLY SKIPPED. Folders of SQL that no binding points at are counted apart: wrangler
 * never applies them either. Options as run.ts: `--split`, `--round`, `--repo`. Exits 1 when anything was skipped
 * without a word.
 *
 * @example
 * BLASTWALL_REALWORLD_MIRROR=<dir> npm run realworld:discovery -- --round 3
 */
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { CheckResult } from "../../src/check/findings.js";
import { runCheck } from "../../src/check/run-check.js";
import { loadProject } from "../../src/project/discover.js";
import { loadWranglerConfig, type WorkerSettings } from "../../src/project/wrangler-config.js";
import { eachSnapshot } from "./snapshots.js";

const CONFIG_LIKE = /^wrangler([.-][\w-]+)*\.(toml|json|jsonc)(\.(example|sample|template|dist))?$/;
const TEMPLATE = /\.(example|sample|template|dist)$|^wrangler[.-](example|sample|template)\./;
const rel = (root: string, p: string): string => relative(root, p).split("\\").join("/") || ".";

interface Tree {
  configs: string[];
  /** Folders that hold at least one `.sql` file, relative to the root. */
  sqlFolders: Set<string>;
}

function walkTree(root: string): Tree {
  const tree: Tree = { configs: [], sqlFolders: new Set() };
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== "node_modules" && e.name !== ".git") walk(join(d, e.name));
      else if (e.isFile() && CONFIG_LIKE.test(e.name)) tree.configs.push(rel(root, join(d, e.name)));
      else if (e.isFile() && e.name.endsWith(".sql")) tree.sqlFolders.add(rel(root, d));
    }
  };
  walk(root);
  return tree;
}

/** The migrations folders wrangler applies for a config's D1 bindings, relative to the root. */
function bindingFolders(root: string, configPath: string): string[] {
  let settings: WorkerSettings[];
  try {
    const config = loadWranglerConfig(join(root, configPath));
    settings = [config, ...Object.values(config.env)];
  } catch {
    return [];
  }
  return settings.flatMap((s) =>
    s.d1_databases.map((d) => rel(root, resolve(root, dirname(configPath), d.migrations_dir ?? "migrations"))),
  );
}

interface Audit {
  configs: number;
  folders: number;
  otherSqlFolders: number;
  skipped: string[];
}

/**
 * Whether a finding (any severity) names the path: its location is there, or its text names it whole (quoted, or
 * followed by a slash), so that a folder called `migrations` is not "named" by any text about migrations.
 */
function named(result: CheckResult, path: string): boolean {
  const whole = [`\`${path}\``, `"${path}"`, `${path}/`, ` ${path} `, ` ${path}:`];
  return result.findings.some(
    (f) =>
      f.file === path || f.file.startsWith(`${path}/`) || whole.some((w) => f.message.includes(w) || f.fix.includes(w)),
  );
}

async function audit(root: string): Promise<Audit> {
  const tree = walkTree(root);
  const result = await runCheck(root);
  const read = new Set(loadProject(root, { variants: true, templates: true }).workers.map((w) => rel(root, w.path)));
  const replayed = new Set(result.migrations.map((m) => dirname(m.file)));
  const folders = [...new Set(tree.configs.flatMap((c) => bindingFolders(root, c)))];
  // A template beside a config check read is no config wrangler reads: the folder's Worker is read from the real one.
  const readFolders = new Set([...read].map((c) => dirname(c)));
  const spareTemplate = (c: string) => TEMPLATE.test(c.split("/").pop() ?? "") && readFolders.has(dirname(c));
  const skipped = [
    ...tree.configs.filter((c) => !read.has(c) && !named(result, c) && !spareTemplate(c)).map((c) => `config ${c}`),
    ...folders
      .filter((f) => tree.sqlFolders.has(f) || [...tree.sqlFolders].some((s) => s.startsWith(`${f}/`)))
      .filter((f) => ![...replayed].some((r) => r === f || r.startsWith(`${f}/`)) && !named(result, f))
      .map((f) => `migrations ${f}`),
  ];
  const other = [...tree.sqlFolders].filter((s) => !folders.some((f) => s === f || s.startsWith(`${f}/`)));
  return { configs: tree.configs.length, folders: folders.length, otherSqlFolders: other.length, skipped };
}

async function main(): Promise<number> {
  const total = { projects: 0, configs: 0, bindingFolders: 0, otherSqlFolders: 0, silentlySkipped: 0 };
  await eachSnapshot("blastwall-discovery-", async (p, root) => {
    const a = await audit(root);
    const tail = a.skipped.length ? ` SILENTLY SKIPPED: ${a.skipped.join(", ")}` : "";
    console.log(
      `${p.repo.padEnd(56)} configs ${a.configs}, binding folders ${a.folders}, other SQL folders ${a.otherSqlFolders}${tail}`,
    );
    total.projects++;
    total.configs += a.configs;
    total.bindingFolders += a.folders;
    total.otherSqlFolders += a.otherSqlFolders;
    total.silentlySkipped += a.skipped.length;
  });
  console.log(JSON.stringify(total, null, 2));
  return total.silentlySkipped ? 1 : 0;
}

process.exitCode = await main();
