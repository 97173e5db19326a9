import { git, isMigrationPath as isMigration, type LogCommit } from "./git-history.js";

/** A migration file that shipped and was later deleted from the folder (not renamed). */
export interface DeletedMigration {
  name: string;
  /** Its text in the commit before the deletion: what databases that applied it ran last. */
  text: string;
  /** The file added after it, and the commit that added it: why it counts as shipped. */
  shippedBy: { file: string; commit: string; time: number };
  deletedIn: { commit: string; time: number };
  /** Migration files the deleting commit added: a squash's replacement, which old databases have not recorded. */
  addedWith: string[];
  /**
   * The folder's migrations in the commit before the deletion, with their texts there: what a database that was up
   * to date then had run. Read from git on first call, once per deleting commit.
   */
  before: () => readonly { name: string; text: string }[];
}

/**
 * How long a file must have stayed in the folder before its deletion counts. One deleted within a day of being added
 * (replaced by a generated file an hour later, dropped as "not needed" after minutes) most likely never left the
 * machine or branch it was written on; in the public projects this was tried on, such deletions were never applied.
 */
export const MIN_LIFETIME_SECONDS = 24 * 3600;

/**
 * The migration files that git shows deleted (not renamed) after they shipped: after a later commit added another
 * migration on top of them (someone applied them and moved on), and at least `MIN_LIFETIME_SECONDS` after they were
 * added. Databases that applied one keep what it did, and `d1_migrations` records its name; databases built since
 * never run it. `log` is the folder's history, oldest first
 * (`folderLog`); a name back in the folder today (`present`) is left out.
 *
 * @example
 * deletedMigrations("migrations", folderLog("migrations") ?? [], new Set(["0001_init.sql"]));
 * // [{ name: "0004_drop_counts.sql", text: "ALTER TABLE …", shippedBy: { file: "0005_x.sql", … }, deletedIn: { … } }]
 */
export function deletedMigrations(
  dir: string,
  log: readonly LogCommit[],
  present: ReadonlySet<string>,
): DeletedMigration[] {
  const live = new Map<string, { addedAt: number; since: number; shippedBy?: DeletedMigration["shippedBy"] }>();
  const out: DeletedMigration[] = [];
  log.forEach((commit, at) => {
    const before = folderAt(dir, commit.id, [...live.keys()]);
    for (const c of commit.changes) {
      if (c.status === "R" && c.from !== undefined) {
        const l = live.get(c.from);
        live.delete(c.from);
        if (l && isMigration(c.path)) live.set(c.path, l);
      } else if (c.status === "A" && isMigration(c.path)) live.set(c.path, { addedAt: at, since: commit.time });
      else if (c.status === "D") {
        const l = live.get(c.path);
        live.delete(c.path);
        if (!l?.shippedBy || present.has(c.path) || commit.time - l.since < MIN_LIFETIME_SECONDS) continue;
        const text = git(dir, ["show", `${commit.id}^:./${c.path}`]);
        if (text !== undefined)
          out.push({
            name: c.path,
            text,
            shippedBy: l.shippedBy,
            deletedIn: { commit: commit.id, time: commit.time },
            addedWith: commit.changes.flatMap((x) => (x.status === "A" && isMigration(x.path) ? [x.path] : [])),
            before,
          });
      }
    }
    const added = commit.changes.find((c) => c.status === "A" && isMigration(c.path));
    if (added && !commit.root)
      for (const l of live.values())
        if (!l.shippedBy && l.addedAt < at) l.shippedBy = { file: added.path, commit: commit.id, time: commit.time };
  });
  return out;
}

/** The texts of `names` in the commit before `commit`, read once on first call; a file git cannot show is left out. */
function folderAt(dir: string, commit: string, names: readonly string[]): DeletedMigration["before"] {
  let read: { name: string; text: string }[] | undefined;
  return () =>
    (read ??= names.flatMap((name) => {
      const text = git(dir, ["show", `${commit}^:./${name}`]);
      return text === undefined ? [] : [{ name, text }];
    }));
}

/** The deletions grouped by the commit that made them: a squash deletes many files at once. */
export function deletionsByCommit(deleted: readonly DeletedMigration[]): DeletedMigration[][] {
  const groups = new Map<string, DeletedMigration[]>();
  for (const d of deleted) groups.set(d.deletedIn.commit, [...(groups.get(d.deletedIn.commit) ?? []), d]);
  return [...groups.values()];
}
