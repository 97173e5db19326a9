import { execFileSync } from "node:child_process";

/** Runs git in `dir`; undefined when git is missing, `dir` is not in a repository, or the command fails. */
export function git(dir: string, args: string[]): string | undefined {
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

/** One file change of a commit, relative to the folder: `A`dded, `M`odified, `D`eleted or `R`enamed from `from`. */
export interface FileChange {
  status: "A" | "M" | "D" | "R";
  path: string;
  from?: string;
}

export interface LogCommit {
  id: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  /** No parent: a root commit (an imported history or a shallow clone's boundary). */
  root: boolean;
  /**
   * For a commit made on a branch that a merge commit on HEAD's first-parent line brought in: that merge's id.
   * Until then the branch's commits ran nowhere but on the developer's machine and in its preview.
   */
  mergedBy?: string;
  changes: FileChange[];
}

function parseChange(line: string): FileChange | undefined {
  const [status = "", a, b] = line.split("\t");
  const kind = status.charAt(0);
  if (!a) return undefined;
  if (kind === "R" && b) return { status: "R", path: b, from: a };
  if (kind === "A" || kind === "M" || kind === "D") return { status: kind, path: a };
  return undefined;
}

/**
 * The commits that touched a folder, oldest first, with what each did to its files (renames followed as git
 * detects them). One git call; undefined outside a repository.
 *
 * @example
 * folderLog("migrations")?.[0]?.changes; // [{ status: "A", path: "0001_init.sql" }]
 * folderLog("migrations", { merges: true }); // with `mergedBy` even when no file was ever edited
 */
export function folderLog(dir: string, { merges = false }: { merges?: boolean } = {}): LogCommit[] | undefined {
  const log = git(dir, [
    "-c",
    "core.quotepath=off",
    "log",
    "--format=@%H %ct %P",
    "--name-status",
    "--relative",
    "--",
    ".",
  ]);
  if (log === undefined) return undefined;
  const out: LogCommit[] = [];
  for (const line of log.split("\n")) {
    if (line.startsWith("@")) {
      const [id = "", time = "0", ...parents] = line.slice(1).trim().split(" ");
      out.push({ id, time: Number(time), root: parents.filter(Boolean).length === 0, changes: [] });
    } else if (line) {
      const change = parseChange(line);
      if (change) out[out.length - 1]?.changes.push(change);
    }
  }
  // Which branch a commit came from matters only to edits, so a history without any skips the two whole-repo walks.
  const edits = out.some((c) => c.changes.some((x) => x.status === "M" || x.status === "R"));
  const merged = edits || merges ? mergeOf(dir) : new Map<string, string>();
  for (const c of out) {
    const m = merged.get(c.id);
    if (m) c.mergedBy = m;
  }
  return out.reverse();
}

/** "Merge origin/main", "Merge branch 'main' of github.com:…", "Merge remote-tracking branch 'origin/master'". */
const PULLED_MAIN = /^Merge (?:remote-tracking )?(?:branch )?'?(?:origin\/)?(?:main|master|trunk)'?(?:\s|$)/i;

/**
 * Each commit that a merge on HEAD's first-parent line brought in from a branch → that merge, oldest merge first so a
 * commit belongs to the merge that first brought it. Two git calls; empty when git cannot answer.
 */
function mergeOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const parents = new Map<string, string[]>();
  for (const line of (git(dir, ["rev-list", "--parents", "HEAD"]) ?? "").split("\n")) {
    const [id, ...ps] = line.trim().split(" ");
    if (id) parents.set(id, ps);
  }
  const mainline = (git(dir, ["log", "--first-parent", "--format=%H%x09%s", "HEAD"]) ?? "")
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ id: l.split("\t")[0] ?? "", subject: l.slice(l.indexOf("\t") + 1) }))
    .reverse();
  const onMain = new Set(mainline.map((m) => m.id));
  for (const { id: m, subject } of mainline) {
    // `git pull` on a local branch merges the shared main into it: there the second parent is what shipped.
    if (PULLED_MAIN.test(subject)) continue;
    const stack = (parents.get(m) ?? []).slice(1);
    while (stack.length > 0) {
      const c = stack.pop();
      if (c === undefined || onMain.has(c) || out.has(c)) continue;
      out.set(c, m);
      stack.push(...(parents.get(c) ?? []));
    }
  }
  return out;
}

/** A migration file directly in the folder, as the folder's log names it (`0003_x.sql`, not `meta/x.sql`). */
export const isMigrationPath = (path: string): boolean => !path.includes("/") && path.toLowerCase().endsWith(".sql");

/** A commit time (seconds since the epoch) as its day, for messages: "2026-03-07". */
export const day = (time: number): string => new Date(time * 1000).toISOString().slice(0, 10);
