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
 */
export function folderLog(dir: string): LogCommit[] | undefined {
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
  return out.reverse();
}
