/**
 * Public projects of manifest.json, read from their snapshots: which ones a run picks, and extracting one commit
 * into a temp folder. Shared by the scoring run (run.ts), the adoption trial (adopt.ts) and the discovery audit
 * (discovery.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

export type Split = "tune" | "holdout";

export interface Project {
  repo: string;
  commit: string;
  dir: string;
  split: Split;
  /** The evaluation round that brought the project in (each round's holdout was sealed until its single run). */
  round: number;
}

interface TreeEntry {
  mode: string;
  blob: string;
  path: string;
}

function blobsOf(git: string, commit: string): TreeEntry[] {
  return execFileSync("git", ["-C", git, "ls-tree", "-r", "-z", commit], { maxBuffer: 1 << 28 })
    .toString()
    .split("\0")
    .filter((line) => line.includes(" blob "))
    .map((line) => {
      const [mode = "", , blob = ""] = line.slice(0, line.indexOf("\t")).split(" ");
      return { mode, blob, path: line.slice(line.indexOf("\t") + 1) };
    });
}

/**
 * Writes the commit's files with `git cat-file --batch` rather than `git checkout`, because snapshots leave out
 * files of 4 MiB and more and `git archive` fails on a missing blob; those files are skipped.
 */
export function extract(mirror: string, p: Project, into: string): string {
  const git = join(mirror, p.repo.replace("/", "+"), "repo");
  const out = join(into, p.repo.replace("/", "+"));
  // A user's clone carries its history, which check reads to tell which migrations shipped together: a shared
  // clone (no objects copied) whose index and HEAD are the manifest commit, then the files as below.
  execFileSync("git", ["clone", "-q", "--shared", "--no-checkout", git, out]);
  execFileSync("git", ["-C", out, "update-ref", "--no-deref", "HEAD", p.commit]);
  execFileSync("git", ["-C", out, "read-tree", p.commit]);
  const entries = blobsOf(git, p.commit);
  const batch = execFileSync("git", ["-C", git, "cat-file", "--batch"], {
    input: `${entries.map((e) => e.blob).join("\n")}\n`,
    maxBuffer: 1 << 30,
  });
  let at = 0;
  for (const e of entries) {
    const eol = batch.indexOf(10, at);
    const [, kind, size] = batch.subarray(at, eol).toString().split(" ");
    at = eol + 1;
    if (kind !== "blob") continue;
    const body = batch.subarray(at, at + Number(size));
    at += Number(size) + 1;
    const file = join(out, e.path);
    mkdirSync(dirname(file), { recursive: true });
    if (e.mode === "120000") symlinkSync(body.toString(), file);
    else writeFileSync(file, body);
  }
  return join(out, p.dir);
}

export interface Selection {
  split: string | undefined;
  round: string | undefined;
  repos: readonly string[];
}

export function selected(projects: readonly Project[], { split, round, repos }: Selection): Project[] {
  if (split !== undefined && split !== "tune" && split !== "holdout")
    throw new Error(`--split must be tune or holdout, not ${split}`);
  if (round !== undefined && !/^[0-9]+$/.test(round)) throw new Error(`--round must be a number, not ${round}`);
  return projects.filter(
    (p) =>
      (split === undefined || p.split === split) &&
      (round === undefined || p.round === Number(round)) &&
      (!repos.length || repos.includes(p.repo)),
  );
}

/** The options that pick projects; a script with options of its own spreads these into its `parseArgs`. */
export const selectionOptions = {
  split: { type: "string" },
  round: { type: "string" },
  repo: { type: "string", multiple: true },
} as const;

/** The selection that parsed `selectionOptions` values name. */
export const selectionOf = (values: { split?: string; round?: string; repo?: string[] }): Selection => ({
  split: values.split,
  round: values.round,
  repos: values.repo ?? [],
});

/**
 * For the trial scripts: extracts each project of manifest.json that `selection` picks (by default the command line's
 * `--split`, `--round` and `--repo`, repeatable) from BLASTWALL_REALWORLD_MIRROR into a temp folder and hands it to
 * `visit`, in manifest order; the folder is removed afterwards, whatever happens.
 *
 * @example
 * await eachSnapshot("blastwall-adopt-", async (p, root) => console.log(p.repo, await runCheck(root)));
 */
export async function eachSnapshot(
  prefix: string,
  visit: (p: Project, root: string) => Promise<void>,
  selection: Selection = selectionOf(parseArgs({ options: selectionOptions }).values),
): Promise<void> {
  const mirror = process.env.BLASTWALL_REALWORLD_MIRROR;
  if (!mirror) throw new Error("set BLASTWALL_REALWORLD_MIRROR to the folder that holds <owner>+<name>/repo git dirs");
  const { projects } = JSON.parse(readFileSync(new URL("manifest.json", import.meta.url), "utf8")) as {
    projects: Project[];
  };
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  try {
    for (const p of selected(projects, selection)) await visit(p, extract(mirror, p, tmp));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
