/**
 * The real-world regression run (`npm run realworld`, not in CI: it needs the snapshots). For each project of
 * manifest.json it extracts the commit (with `git cat-file`) from BLASTWALL_REALWORLD_MIRROR/<owner>+<name>/repo into
 * a temp folder, runs `check` on it, and scores the warnings and errors against expectations.json: false alarms
 * (reported findings labelled false alarm) and recall (labelled hazards that were found), per split.
 *
 * Options: `--split tune|holdout`, `--round <n>` and `--repo <owner/name>` (repeatable) pick projects; totals are
 * printed per split and round (each round is a fresh set of projects, labelled before `check` first ran); `--list` prints every
 * reported finding with its label, for labelling. Exits 1 when a labelled hazard is missed, a labelled false
 * alarm comes back, or a reported finding carries no label.
 *
 * @example
 * BLASTWALL_REALWORLD_MIRROR=<dir> npm run realworld -- --split tune --list
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { Finding } from "../../src/check/findings.js";
import { runCheck } from "../../src/check/run-check.js";

type Split = "tune" | "holdout";

interface Project {
  repo: string;
  commit: string;
  dir: string;
  split: Split;
  /** The evaluation round that brought the project in (each round's holdout was sealed until its single run). */
  round: number;
}

/** A label key: `rule@file` (any line) or `rule@file:line` (that line only, which wins over the file key). */
interface Expectations {
  hazards: Record<string, Record<string, string>>;
  falseAlarms: Record<string, Record<string, string>>;
  /** Reported findings judged real or debatable-but-fair, so every reported finding carries a label. */
  fair: Record<string, Record<string, string>>;
}

interface Score {
  projects: number;
  reported: number;
  falseAlarms: number;
  unlabelled: string[];
  hazards: number;
  found: number;
  missed: string[];
  returned: string[];
}

const here = new URL(".", import.meta.url).pathname;
const read = <T>(name: string): T => JSON.parse(readFileSync(join(here, name), "utf8")) as T;
const keyOf = (f: Finding): string => `${f.rule}@${f.file}`;
const lineKeyOf = (f: Finding): string => `${keyOf(f)}:${f.line}`;
const pct = (a: number, b: number): string => (b === 0 ? "n/a" : `${((100 * a) / b).toFixed(1)}%`);

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
 * Writes the commit's files with `git cat-file --batch` rather than `git archive`, because snapshots leave out
 * files of 4 MiB and more and `git archive` fails on a missing blob; those files are skipped.
 */
function extract(mirror: string, p: Project, into: string): string {
  const git = join(mirror, p.repo.replace("/", "+"), "repo");
  const out = join(into, p.repo.replace("/", "+"));
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

type Label = "hazard" | "FALSE ALARM" | "fair" | "UNLABELLED";

function labelOfKey(labels: Expectations, repo: string, key: string): Label | undefined {
  if (key in (labels.hazards[repo] ?? {})) return "hazard";
  if (key in (labels.falseAlarms[repo] ?? {})) return "FALSE ALARM";
  if (key in (labels.fair[repo] ?? {})) return "fair";
  return undefined;
}

function labelOf(labels: Expectations, repo: string, f: Finding): Label {
  return labelOfKey(labels, repo, lineKeyOf(f)) ?? labelOfKey(labels, repo, keyOf(f)) ?? "UNLABELLED";
}

/** The reported findings a label key matches: its line, or any line of its file. */
const matches = (key: string, reported: readonly Finding[]): boolean =>
  reported.some((f) => key === keyOf(f) || key === lineKeyOf(f));

function score(p: Project, reported: readonly Finding[], labels: Expectations): Score {
  const hazards = Object.keys(labels.hazards[p.repo] ?? {});
  const bad = Object.keys(labels.falseAlarms[p.repo] ?? {});
  const withLabel = reported.map((f) => ({ f, label: labelOf(labels, p.repo, f) }));
  return {
    projects: 1,
    reported: reported.length,
    falseAlarms: withLabel.filter((x) => x.label === "FALSE ALARM").length,
    unlabelled: [...new Set(withLabel.filter((x) => x.label === "UNLABELLED").map((x) => lineKeyOf(x.f)))],
    hazards: hazards.length,
    found: hazards.filter((h) => matches(h, reported)).length,
    missed: hazards.filter((h) => !matches(h, reported)),
    returned: bad.filter((k) => matches(k, reported)),
  };
}

function printProject(p: Project, s: Score, reported: readonly Finding[], labels: Expectations, list: boolean): void {
  const tail = [
    s.missed.length ? ` MISSED: ${s.missed.join(", ")}` : "",
    s.unlabelled.length ? ` UNLABELLED: ${s.unlabelled.join(", ")}` : "",
  ].join("");
  console.log(
    `${`${p.split} r${p.round}`.padEnd(11)} ${p.repo.padEnd(56)} reported ${s.reported}, false alarms ${s.falseAlarms}, hazards ${s.found}/${s.hazards}${tail}`,
  );
  if (!list) return;
  for (const f of reported)
    console.log(
      `    ${labelOf(labels, p.repo, f).padEnd(11)} ${f.severity.padEnd(7)} ${f.rule}@${f.file}:${f.line} ${f.message.split("\n")[0]}`,
    );
}

const empty = (): Score => ({
  projects: 0,
  reported: 0,
  falseAlarms: 0,
  unlabelled: [],
  hazards: 0,
  found: 0,
  missed: [],
  returned: [],
});

function add(t: Score, s: Score): Score {
  return {
    projects: t.projects + s.projects,
    reported: t.reported + s.reported,
    falseAlarms: t.falseAlarms + s.falseAlarms,
    unlabelled: [...t.unlabelled, ...s.unlabelled],
    hazards: t.hazards + s.hazards,
    found: t.found + s.found,
    missed: [...t.missed, ...s.missed],
    returned: [...t.returned, ...s.returned],
  };
}

function summarize(totals: ReadonlyMap<string, Score>): Record<string, unknown> {
  return Object.fromEntries(
    [...totals].map(([split, t]) => [
      split,
      {
        projects: t.projects,
        reported: t.reported,
        falseAlarms: t.falseAlarms,
        falseAlarmRate: pct(t.falseAlarms, t.reported),
        hazards: t.hazards,
        found: t.found,
        recall: pct(t.found, t.hazards),
        unlabelled: t.unlabelled.length,
      },
    ]),
  );
}

interface Selection {
  split: string | undefined;
  round: string | undefined;
  repos: readonly string[];
}

function selected(projects: readonly Project[], { split, round, repos }: Selection): Project[] {
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      split: { type: "string" },
      round: { type: "string" },
      repo: { type: "string", multiple: true },
      list: { type: "boolean", default: false },
    },
  });
  const mirror = process.env.BLASTWALL_REALWORLD_MIRROR;
  if (!mirror) throw new Error("set BLASTWALL_REALWORLD_MIRROR to the folder that holds <owner>+<name>/repo git dirs");
  const { projects } = read<{ projects: Project[] }>("manifest.json");
  const labels = read<Expectations>("expectations.json");
  const tmp = mkdtempSync(join(tmpdir(), "blastwall-realworld-"));
  const totals = new Map<string, Score>();
  const selection = { split: values.split, round: values.round, repos: values.repo ?? [] };
  try {
    for (const p of selected(projects, selection)) {
      const result = await runCheck(extract(mirror, p, tmp));
      const reported = result.findings.filter((f) => f.severity !== "info");
      const s = score(p, reported, labels);
      printProject(p, s, reported, labels, values.list);
      const group = `${p.split} round ${p.round}`;
      totals.set(group, add(totals.get(group) ?? empty(), s));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(JSON.stringify(summarize(totals), null, 2));
  const all = [...totals.values()].reduce(add, empty());
  if (all.missed.length) console.error(`missed labelled hazards: ${all.missed.join(", ")}`);
  if (all.returned.length) console.error(`labelled false alarms came back: ${all.returned.join(", ")}`);
  if (all.unlabelled.length)
    console.error(`unlabelled findings (label them in expectations.json): ${all.unlabelled.length}`);
  return all.missed.length || all.returned.length || all.unlabelled.length ? 1 : 0;
}

process.exitCode = await main();
