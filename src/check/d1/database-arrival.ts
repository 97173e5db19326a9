import { textsAtRef } from "../config/git-base.js";
import { git, isMigrationPath } from "./git-history.js";

/** The commit that first put a real database id into a wrangler config: before it, no database of the app existed. */
export interface DatabaseArrival {
  id: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  /** The config file, relative to the repository, for messages. */
  config: string;
  /** The value it replaced ("placeholder-will-be-created"), or undefined when the binding was new. */
  replaced?: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** A value filled in at deploy time (`${D1_ID}`, `{{ id }}`, `%ID%`): the real id may have been in use long before. */
const TEMPLATED = /[$%]|\{\{/;
const CONFIGS = ["wrangler*.toml", "wrangler*.json", "wrangler*.jsonc"].map((g) => `:(top,glob)**/${g}`);

/** A comment that says a value is filled in by a pipeline ("# Filled by CI / your first deployment bootstrap."). */
const FILLED_BY =
  /\b(?:CI|deploy\w*|bootstrap|pipeline|workflow|github actions?|filled|inject\w*|substitut\w*|set by|sed)\b/i;

/**
 * Whether a placeholder id was replaced by a script or pipeline at deploy time, so that a real database may have
 * existed long before the id was committed: a comment just above it says so, or another file of the repository (a
 * workflow, a deploy script) names the placeholder.
 */
function filledAtDeploy(dir: string, parent: string, config: string, placeholder: string): boolean {
  const lines = (git(dir, ["show", `${parent}:${config}`]) ?? "").split("\n");
  const at = lines.findIndex((l) => l.includes(placeholder));
  if (at >= 0 && lines.slice(Math.max(0, at - 3), at + 1).some((l) => /(?:#|\/\/)/.test(l) && FILLED_BY.test(l)))
    return true;
  const top = git(dir, ["rev-parse", "--show-toplevel"])?.trim();
  const users = (top && git(top, ["grep", "-l", "-F", placeholder, parent])) || "";
  return users
    .split("\n")
    .filter(Boolean)
    .some((f) => !/(?:^|\/)wrangler[^/]*\.(?:toml|jsonc?)$/.test(f.slice(f.indexOf(":") + 1)));
}

/** A statement that changes a table or its rows: what a later migration of a database in use does. */
const EVOLVES =
  /\b(?:alter\s+table|drop\s+(?:table|column|index)|update\s+["'`[]?\w+["'`\]]?\s+set|delete\s+from|insert\s+into\s+[^;]*?\bselect)\b/i;
/**
 * Whether the repository's first commit already held a history of this folder that had evolved: at least three
 * migrations, some after the first changing tables or rows. That is an app imported with its past, whose database
 * ran those files one by one before any config of it was committed, not a new app's first schema.
 */
function importedHistory(dir: string): boolean {
  return (git(dir, ["rev-list", "--max-parents=0", "HEAD"]) ?? "")
    .split("\n")
    .filter(Boolean)
    .some((root) => {
      // In name order, as ls-tree lists them.
      const texts = textsAtRef(dir, root, isMigrationPath) ?? [];
      return texts.length >= 3 && texts.slice(1).some((t) => EVOLVES.test(t));
    });
}

/** The first commit of the repository that added `id` to a wrangler config, with the id value it replaced. */
function firstCommitWith(dir: string, id: string): DatabaseArrival | undefined {
  const out = git(dir, ["log", "--reverse", "--format=@%H %ct %P", "-p", "-U0", `-S${id}`, "--", ...CONFIGS]);
  if (!out) return undefined;
  const lines = out.split("\n");
  const [hash = "", time = "0", ...parents] = (lines[0] ?? "").slice(1).split(" ");
  // In the repository's first commit: nothing says the database was new (an imported app brings its id along).
  if (!lines[0]?.startsWith("@") || parents.filter(Boolean).length === 0) return undefined;
  let config = "";
  let replaced: string | undefined;
  for (const line of lines.slice(1)) {
    if (/^@[0-9a-f]{40} /.test(line)) break;
    if (line.startsWith("+++ b/") && !config) config = line.slice(6);
    const removed = /^-(?!--).*database_id["']?\s*[:=]\s*["']([^"']*)["']/.exec(line);
    if (removed) replaced = removed[1];
  }
  if (replaced !== undefined && (TEMPLATED.test(replaced) || UUID.test(replaced))) return undefined;
  if (replaced && config && filledAtDeploy(dir, parents[0] ?? "", config, replaced)) return undefined;
  // A new binding in a repository imported with its migrations: the database may well be older than the config.
  if (replaced === undefined && importedHistory(dir)) return undefined;
  return { id: hash, time: Number(time), config, ...(replaced === undefined ? {} : { replaced }) };
}

/**
 * When the app's databases came to exist, read from git: the earliest commit that put one of `ids` (the real
 * database ids of the bindings that use a migrations folder) into a wrangler config, in place of a placeholder or as
 * a new binding. Migrations committed before it first ran together, on an empty database. Undefined when no id is
 * real, git cannot answer, the id was there from the repository's first commit, it replaced another real id or a
 * value filled in at deploy time, or it came as a new binding in a repository whose first commit already held an
 * evolved migrations history (`importedHistory`).
 *
 * @example
 * databaseArrival("migrations", ["9f1c2d3e-…"])?.config; // "wrangler.jsonc"
 */
export function databaseArrival(dir: string, ids: readonly (string | undefined)[]): DatabaseArrival | undefined {
  const real = [...new Set(ids.filter((id): id is string => id !== undefined && UUID.test(id)))];
  const found = real.map((id) => firstCommitWith(dir, id));
  // One id we cannot date (say, in the repository since its first commit) may have had a database all along.
  if (found.length === 0 || found.some((f) => f === undefined)) return undefined;
  return found.reduce<DatabaseArrival | undefined>(
    (a, b) => (a === undefined || (b && b.time < a.time) ? b : a),
    undefined,
  );
}

/**
 * When the oldest of the databases the configs name now first appeared in a wrangler config (committer time), or
 * undefined when an id is no real one or git cannot date it. A database that arrived after a migration was deleted
 * never ran that migration.
 *
 * @example
 * oldestDatabaseSince("migrations", ["9f1c2d3e-…"]); // 1767225600
 */
export function oldestDatabaseSince(dir: string, ids: readonly (string | undefined)[]): number | undefined {
  const times = [...new Set(ids)].map((id) => {
    if (id === undefined || !UUID.test(id)) return undefined;
    const first = git(dir, ["log", "--reverse", "--format=%ct", `-S${id}`, "--", ...CONFIGS])?.split("\n")[0];
    return first ? Number(first) : undefined;
  });
  if (times.length === 0 || times.some((t) => t === undefined || !Number.isFinite(t))) return undefined;
  return Math.min(...times.filter((t): t is number => t !== undefined));
}
