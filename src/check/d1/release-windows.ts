import { folderLog, git, type LogCommit } from "./git-history.js";
import { type ShippedEdit, shippedEdits } from "./shipped-edits.js";

/**
 * Which migration files ship together. Files that one git commit first added form one release window: no deployed
 * version ran between them, so a table or column one of them creates and a later one drops held no production rows
 * and no running code named it. Files git does not track yet form the pending window. `undefined` means unknown:
 * no repository, a root commit (an imported history or a shallow clone's boundary, not a release), or a file whose
 * first commit cannot be found (renamed since).
 */
export interface ReleaseWindows {
  of(name: string): ReleaseWindow | undefined;
  /** The file's shipped text when it changed after it shipped (see `shippedEdits`). */
  edited(name: string): ShippedEdit | undefined;
}

export interface ReleaseWindow {
  /** A commit id, "pending" (not committed yet) or "release" (not at the `--base` ref). */
  id: string;
  /** For messages: "the same commit 1a2b3c4", "the same uncommitted change", "the same release (since --base x)". */
  label: string;
}

/** File (relative to `dir`) → the oldest commit that added it, with whether that commit has a parent. */
function firstAdded(log: readonly LogCommit[]): Map<string, { commit: string; root: boolean }> {
  const out = new Map<string, { commit: string; root: boolean }>();
  for (const commit of log)
    for (const c of commit.changes)
      if (c.status === "A" && !out.has(c.path)) out.set(c.path, { commit: commit.id, root: commit.root });
  return out;
}

const NONE: ReleaseWindows = { of: () => undefined, edited: () => undefined };

/**
 * The release windows of a migrations folder, from its git history (two git calls), or from `--base`: every file not
 * at that ref is one release. Also which files were edited after they shipped.
 *
 * @example
 * const windows = releaseWindows("apps/api/migrations");
 * windows.of("0007_add_parent.sql")?.id === windows.of("0009_drop_parent.sql")?.id; // added by one commit
 */
export function releaseWindows(dir: string, { base }: { base?: string } = {}): ReleaseWindows {
  const tracked = git(dir, ["ls-files", "-z", "--", "."]);
  if (tracked === undefined) return NONE;
  const inGit = new Set(tracked.split("\0").filter(Boolean));
  const log = folderLog(dir) ?? [];
  const added = firstAdded(log);
  const edited = shippedEdits(dir, log, base === undefined ? {} : { base });
  const atBase =
    base === undefined
      ? undefined
      : new Set((git(dir, ["ls-tree", "-r", "--name-only", base, "--", "."]) ?? "").split("\n").filter(Boolean));
  return {
    of(name) {
      if (atBase && !atBase.has(name)) return { id: "release", label: `the same release (not at --base ${base})` };
      if (!inGit.has(name)) return { id: "pending", label: "the same uncommitted change" };
      const first = added.get(name);
      if (!first || first.root) return undefined;
      return { id: first.commit, label: `the same commit ${first.commit.slice(0, 7)}` };
    },
    edited,
  };
}
