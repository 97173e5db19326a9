import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sortMigrations } from "../../core/migration-order.js";
import { wholeWord } from "./code-mentions.js";
import { type DatabaseArrival, databaseArrival, oldestDatabaseSince } from "./database-arrival.js";
import { type DeletedMigration, deletedMigrations } from "./deleted-migrations.js";
import { folderLog, git, type LogCommit } from "./git-history.js";
import { handApplied } from "./hand-apply.js";
import { pushDeploy } from "./push-deploy.js";
import { historyDifference } from "./shipped-diff.js";
import { type ShippedEdit, shippedEdits } from "./shipped-edits.js";

/**
 * Which migration files ship together. Files that one git commit first added form one release window: no deployed
 * version ran between them, so a table or column one of them creates and a later one drops held no production rows
 * and no running code named it. Files git does not track yet form the pending window. The commit that adds a
 * folder's first migrations is the app's first release when it adds a few (`FIRST_RELEASE_MAX`); more is read as a
 * history brought in at once (a move, a re-upload), which is no release. `undefined` means unknown: no repository,
 * such an imported history, a shallow clone's boundary, or a file whose first commit cannot be found (renamed since).
 */
export interface ReleaseWindows {
  of(name: string): ReleaseWindow | undefined;
  /** The file's shipped text when it changed after it shipped (see `shippedEdits`). */
  edited(name: string): ShippedEdit | undefined;
  /**
   * How databases that applied the shipped texts of the folder's edited files, taken together, differ in schema from
   * new ones: `[]` when alike (a change moved from one file to another); the tables only one side has, with the
   * files whose shipped or current text names each, when those are the whole difference (a marker table); undefined
   * otherwise.
   */
  editsDiffer(): readonly OneSidedTable[] | undefined;
  /** The same for one file: today's folder with only `name` back at its shipped text. */
  editDiffers(name: string): readonly OneSidedTable[] | undefined;
  /** When the folder's database came to exist (see `databaseArrival`), asked of git once. */
  born(): DatabaseArrival | undefined;
  /** Migration files deleted after they shipped (see `deletedMigrations`), read on first call. */
  deleted(): readonly DeletedMigration[];
}

/** A table that only old databases, or only new ones, have. */
export interface OneSidedTable {
  table: string;
  /** Migration files (names) whose shipped or current text names it. */
  namedBy: string[];
}

export interface ReleaseWindow {
  /** A commit id, "pending" (not committed yet) or "release" (not at the `--base` ref). */
  id: string;
  /** For messages: "the same commit 1a2b3c4", "the same uncommitted change", "the same release (since --base x)". */
  label: string;
}

/**
 * The most migrations the commit that adds a folder's first ones may add and still be read as one release. A new app
 * starts with a few files; a history moved or re-uploaded brings many. In the public projects this was measured on,
 * first commits of 2 to 5 files were new apps, and those of 15 to 31 files imported histories whose drops were real.
 */
export const FIRST_RELEASE_MAX = 5;

/** File (relative to `dir`) → the oldest commit that added it. */
function firstAdded(log: readonly LogCommit[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const commit of log)
    for (const c of commit.changes) if (c.status === "A" && !out.has(c.path)) out.set(c.path, commit.id);
  return out;
}

const isSql = (path: string) => path.toLowerCase().endsWith(".sql");

/**
 * The first commit that adds migrations to the folder, and whether it brought a history in rather than released it:
 * it adds more than `FIRST_RELEASE_MAX`, or it is a shallow clone's boundary (its files were added anywhere in the
 * history the clone cut off).
 */
function firstCommit(dir: string, log: readonly LogCommit[]): { id: string; imported: boolean } | undefined {
  const first = log.find((c) => c.changes.some((ch) => ch.status === "A" && isSql(ch.path)));
  if (!first) return undefined;
  const count = first.changes.filter((ch) => ch.status === "A" && isSql(ch.path)).length;
  const boundary = first.root && git(dir, ["rev-parse", "--is-shallow-repository"])?.trim() !== "false";
  return { id: first.id, imported: count > FIRST_RELEASE_MAX || boundary };
}

const NONE: ReleaseWindows = {
  of: () => undefined,
  edited: () => undefined,
  editsDiffer: () => undefined,
  editDiffers: () => undefined,
  born: () => undefined,
  deleted: () => [],
};

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Replays the history as databases that shipped it applied it (shipped texts; all edited files, or only `only`) and
 * as it is now, and says how their schemas differ (see `ReleaseWindows.editsDiffer`). The whole-folder answer is
 * computed once.
 */
function cancelOut(dir: string, names: readonly string[], edited: (name: string) => ShippedEdit | undefined) {
  let whole: { differ: readonly OneSidedTable[] | undefined } | undefined;
  let current: (string | undefined)[] | undefined;
  const compare = (only: string | undefined): readonly OneSidedTable[] | undefined => {
    const edits = names.map((n) => (only === undefined || n === only ? edited(n) : undefined));
    current ??= names.map((n) => readText(join(dir, n)));
    const now = current;
    if (!edits.some(Boolean) || !now.every((t) => t !== undefined)) return undefined;
    // Files deleted since shipping ran on those databases too, where wrangler's order puts their names.
    const removed = new Map<string, string>();
    for (const e of edits) for (const r of e?.removed() ?? []) if (!names.includes(r.name)) removed.set(r.name, r.text);
    const at = new Map(names.map((n, i) => [n, i]));
    const oldNames = removed.size === 0 ? [...names] : sortMigrations([...names, ...removed.keys()]);
    const shippedText = (n: string) => {
      const i = at.get(n);
      return i === undefined ? (removed.get(n) ?? "") : (edits[i]?.shippedText ?? now[i] ?? "");
    };
    const shipped = oldNames.map(shippedText);
    const differ = historyDifference(
      shipped,
      now.map((t) => t ?? ""),
    );
    const namedBy = (table: string) =>
      oldNames.filter((n) => {
        const i = at.get(n);
        return [shippedText(n), i === undefined ? undefined : now[i]].some(
          (x) => x !== undefined && wholeWord(x.toLowerCase(), table),
        );
      });
    return differ?.map((table) => ({ table, namedBy: namedBy(table) }));
  };
  const all = (): readonly OneSidedTable[] | undefined => {
    whole ??= { differ: compare(undefined) };
    return whole.differ;
  };
  // With a single edited file, its own comparison is the whole folder's.
  const one = (name: string): readonly OneSidedTable[] | undefined =>
    names.filter((n) => edited(n)).length === 1 ? all() : compare(name);
  return { all, one };
}

/** `shippedEdits`' answer per file, asked of git once: the rule, and both comparisons, read the same files. */
function memo(edited: (name: string) => ShippedEdit | undefined): (name: string) => ShippedEdit | undefined {
  const seen = new Map<string, ShippedEdit | undefined>();
  return (name) => {
    if (!seen.has(name)) {
      const edit = edited(name);
      // `removed()` asks git for each deleted file's text; both comparisons read it.
      let removed: ReturnType<ShippedEdit["removed"]> | undefined;
      seen.set(name, edit && { ...edit, removed: () => (removed ??= edit.removed()) });
    }
    return seen.get(name);
  };
}

/**
 * The shipped migrations deleted while a database the configs name now already existed: one that arrived with or
 * after the deletion (the config moved to a new database) never ran the file.
 */
function deletedSinceDatabase(
  dir: string,
  log: readonly LogCommit[],
  present: ReadonlySet<string>,
  databaseIds: readonly (string | undefined)[],
): DeletedMigration[] {
  const deleted = deletedMigrations(dir, log, present);
  const since = deleted.length > 0 ? oldestDatabaseSince(dir, databaseIds) : undefined;
  return since === undefined ? deleted : deleted.filter((d) => since < d.deletedIn.time);
}

/**
 * The release windows of a migrations folder, from its git history (two git calls), or from `--base`: every file not
 * at that ref is one release. Also which files were edited after they shipped; `names` (apply order) lets it
 * compare the whole history as shipped with today's.
 *
 * @example
 * const windows = releaseWindows("apps/api/migrations");
 * windows.of("0007_add_parent.sql")?.id === windows.of("0009_drop_parent.sql")?.id; // added by one commit
 */
export function releaseWindows(
  dir: string,
  {
    base,
    names = [],
    databaseIds = [],
  }: { base?: string; names?: readonly string[]; databaseIds?: readonly (string | undefined)[] } = {},
): ReleaseWindows {
  const tracked = git(dir, ["ls-files", "-z", "--", "."]);
  if (tracked === undefined) return NONE;
  const inGit = new Set(tracked.split("\0").filter(Boolean));
  const log = folderLog(dir) ?? [];
  const added = firstAdded(log);
  const first = firstCommit(dir, log);
  // Only an edit can ship by push or by hand: a history without one needs no workflow read.
  const pushed = log.some((c) => c.changes.some((x) => x.status === "M"))
    ? (pushDeploy(dir) ?? handApplied(dir, names))
    : undefined;
  const edited = memo(
    shippedEdits(dir, log, { ...(base === undefined ? {} : { base }), ...(pushed === undefined ? {} : { pushed }) }),
  );
  const atBase =
    base === undefined
      ? undefined
      : new Set((git(dir, ["ls-tree", "-r", "--name-only", base, "--", "."]) ?? "").split("\n").filter(Boolean));
  // A folder wholly new since --base, with many files, was moved or brought in, like an imported first commit.
  const sqlFiles = [...inGit].filter(isSql);
  const newFolder =
    atBase !== undefined && sqlFiles.length > FIRST_RELEASE_MAX && sqlFiles.every((n) => !atBase.has(n));
  const cancel = cancelOut(dir, names, edited);
  const times = new Map(log.map((c) => [c.id, c.time]));
  let arrival: { at: DatabaseArrival | undefined } | undefined;
  let gone: DeletedMigration[] | undefined;
  const born = () => {
    arrival ??= { at: databaseArrival(dir, databaseIds) };
    return arrival.at;
  };
  // Files committed before the config named a real database first ran together, on the new, empty database.
  const beforeDatabase = (commit: string): ReleaseWindow | undefined => {
    const at = born();
    const time = times.get(commit);
    if (!at || time === undefined || time > at.time) return undefined;
    const was = at.replaced ? ` in place of "${at.replaced}"` : "";
    return {
      id: `database:${at.id}`,
      label: `the files committed before ${at.config} named the database (commit ${at.id.slice(0, 7)}${was}), which first ran together on it, empty`,
    };
  };
  return {
    of(name) {
      if (atBase && !atBase.has(name))
        return newFolder ? undefined : { id: "release", label: `the same release (not at --base ${base})` };
      if (!inGit.has(name)) return { id: "pending", label: "the same uncommitted change" };
      const commit = added.get(name);
      if (commit === undefined) return undefined;
      const early = beforeDatabase(commit);
      if (early) return early;
      if (commit !== first?.id) return { id: commit, label: `the same commit ${commit.slice(0, 7)}` };
      if (first.imported) return undefined;
      return {
        id: commit,
        label: `the same commit ${commit.slice(0, 7)} (the folder's first, read as the app's first release)`,
      };
    },
    edited,
    editsDiffer: cancel.all,
    editDiffers: cancel.one,
    born,
    deleted: () => (gone ??= deletedSinceDatabase(dir, log, new Set([...inGit, ...names]), databaseIds)),
  };
}
