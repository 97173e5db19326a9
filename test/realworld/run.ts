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
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Finding } from "../../src/check/findings.js";
import { runCheck } from "../../src/check/run-check.js";
import { eachSnapshot, type Project, selectionOf, selectionOptions } from "./snapshots.js";

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

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { ...selectionOptions, list: { type: "boolean", default: false } } });
  const labels = read<Expectations>("expectations.json");
  const totals = new Map<string, Score>();
  const crashed: string[] = [];
  await eachSnapshot(
    "blastwall-realworld-",
    async (p, root) => {
      // A crash scores as nothing found (every hazard missed) and the run goes on to the next project.
      let reported: Finding[] = [];
      try {
        reported = (await runCheck(root)).findings.filter((f) => f.severity !== "info");
      } catch (e) {
        crashed.push(`${p.repo}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const s = score(p, reported, labels);
      printProject(p, s, reported, labels, values.list);
      const group = `${p.split} round ${p.round}`;
      totals.set(group, add(totals.get(group) ?? empty(), s));
    },
    selectionOf(values),
  );
  console.log(JSON.stringify(summarize(totals), null, 2));
  const all = [...totals.values()].reduce(add, empty());
  if (all.missed.length) console.error(`missed labelled hazards: ${all.missed.join(", ")}`);
  if (all.returned.length) console.error(`labelled false alarms came back: ${all.returned.join(", ")}`);
  if (all.unlabelled.length)
    console.error(`unlabelled findings (label them in expectations.json): ${all.unlabelled.length}`);
  for (const c of crashed) console.error(`CRASHED ${c}`);
  return all.missed.length || all.returned.length || all.unlabelled.length || crashed.length ? 1 : 0;
}

process.exitCode = await main();
