import { execFileSync } from "node:child_process";

/**
 * Which migration files ship together. Files that one git commit first added form one release window: no deployed
 * version ran between them, so a table or column one of them creates and a later one drops held no production rows
 * and no running code named it. Files git does not track yet form the pending window. `undefined` means unknown:
 * no repository, a root commit (an imported history or a shallow clone's boundary, not a release), or a file whose
 * first commit cannot be found (renamed since).
 */
export interface ReleaseWindows {
  of(name: string): ReleaseWindow | undefined;
}

export interface ReleaseWindow {
  /** A commit id, "pending" (not committed yet) or "release" (not at the `--base` ref). */
  id: string;
  /** For messages: "the same commit 1a2b3c4", "the same uncommitted change", "the same release (since --base x)". */
  label: string;
}

function git(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 1 << 28,
    });
  } catch {
    return undefined;
  }
}

/** File (relative to `dir`) → the oldest commit that added it, with whether that commit has a parent. */
function firstAdded(dir: string): Map<string, { commit: string; root: boolean }> {
  const out = new Map<string, { commit: string; root: boolean }>();
  const log = git(dir, ["log", "--diff-filter=A", "--format=@%H %P", "--name-only", "--relative", "--", "."]) ?? "";
  let current: { commit: string; root: boolean } | undefined;
  for (const line of log.split("\n")) {
    if (line.startsWith("@")) {
      const [commit = "", ...parents] = line.slice(1).trim().split(" ");
      current = { commit, root: parents.filter(Boolean).length === 0 };
    } else if (line && current) out.set(line, current); // newest first: the oldest add wins
  }
  return out;
}

const NONE: ReleaseWindows = { of: () => undefined };

/**
 * The release windows of a migrations folder, from its git history (two git calls), or from `--base`: every file not
 * at that ref is one release.
 *
 * @example
 * const windows = releaseWindows("apps/api/migrations");
 * windows.of("0007_add_parent.sql")?.id === windows.of("0009_drop_parent.sql")?.id; // added by one commit
 */
export function releaseWindows(dir: string, { base }: { base?: string } = {}): ReleaseWindows {
  const tracked = git(dir, ["ls-files", "-z", "--", "."]);
  if (tracked === undefined) return NONE;
  const inGit = new Set(tracked.split("\0").filter(Boolean));
  const added = firstAdded(dir);
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
  };
}
