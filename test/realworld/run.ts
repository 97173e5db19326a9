/**
 * The real-world regression run (`npm run realworld`, not in CI: it needs the snapshots). For each project of
 * manifest.json it extracts the commit with `git archive` from BLASTWALL_REALWORLD_MIRROR/<owner>+<name>/repo into
 * a temp folder, runs `check` on it, and scores the warnings and errors against expectations.json: precision
 * (reported findings that are not labelled false alarms) and recall (labelled hazards that were found), per split.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck } from "../../src/check/run-check.js";

interface Project {
  repo: string;
  commit: string;
  dir: string;
  split: "tune" | "holdout";
}
/** A label: `rule@file` (any line). */
interface Expectations {
  hazards: Record<string, string[]>;
  falseAlarms: Record<string, string[]>;
  /** Reported findings judged real or debatable-but-fair, so every reported finding carries a label. */
  fair: Record<string, string[]>;
}

const here = new URL(".", import.meta.url).pathname;
const read = <T>(name: string): T => JSON.parse(readFileSync(join(here, name), "utf8")) as T;

function extract(mirror: string, p: Project, into: string): string {
  const git = join(mirror, `${p.repo.replace("/", "+")}`, "repo");
  const out = join(into, p.repo.replace("/", "+"));
  mkdirSync(out, { recursive: true });
  const tar = execFileSync("git", ["-C", git, "archive", p.commit], { maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", out], { input: tar });
  return join(out, p.dir);
}

interface Score {
  reported: number;
  falseAlarms: number;
  unlabelled: string[];
  hazards: number;
  found: number;
  missed: string[];
}

async function score(p: Project, root: string, labels: Expectations): Promise<Score> {
  const result = await runCheck(root);
  const reported = result.findings.filter((f) => f.severity !== "info").map((f) => `${f.rule}@${f.file}`);
  const keys = new Set(reported);
  const bad = new Set(labels.falseAlarms[p.repo] ?? []);
  const fair = new Set(labels.fair[p.repo] ?? []);
  const hazards = labels.hazards[p.repo] ?? [];
  return {
    reported: reported.length,
    falseAlarms: reported.filter((k) => bad.has(k)).length,
    unlabelled: [...keys].filter((k) => !bad.has(k) && !fair.has(k) && !hazards.includes(k)),
    hazards: hazards.length,
    found: hazards.filter((h) => keys.has(h)).length,
    missed: hazards.filter((h) => !keys.has(h)),
  };
}

const pct = (a: number, b: number) => (b === 0 ? "n/a" : `${((100 * a) / b).toFixed(1)}%`);

async function main(): Promise<void> {
  const mirror = process.env.BLASTWALL_REALWORLD_MIRROR;
  if (!mirror) throw new Error("set BLASTWALL_REALWORLD_MIRROR to the folder that holds <owner>+<name>/repo git dirs");
  const { projects } = read<{ projects: Project[] }>("manifest.json");
  const labels = read<Expectations>("expectations.json");
  const tmp = mkdtempSync(join(tmpdir(), "blastwall-realworld-"));
  const totals = new Map<string, Score>();
  try {
    for (const p of projects) {
      const s = await score(p, extract(mirror, p, tmp), labels);
      console.log(
        `${p.split.padEnd(8)} ${p.repo.padEnd(34)} reported ${s.reported}, false alarms ${s.falseAlarms}, hazards ${s.found}/${s.hazards}${s.missed.length ? ` missed: ${s.missed.join(", ")}` : ""}${s.unlabelled.length ? ` UNLABELLED: ${s.unlabelled.join(", ")}` : ""}`,
      );
      const t = totals.get(p.split) ?? {
        reported: 0,
        falseAlarms: 0,
        unlabelled: [],
        hazards: 0,
        found: 0,
        missed: [],
      };
      totals.set(p.split, {
        reported: t.reported + s.reported,
        falseAlarms: t.falseAlarms + s.falseAlarms,
        unlabelled: [...t.unlabelled, ...s.unlabelled],
        hazards: t.hazards + s.hazards,
        found: t.found + s.found,
        missed: [...t.missed, ...s.missed],
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(
    [...totals].map(([split, t]) => [
      split,
      {
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
  console.log(JSON.stringify(summary, null, 2));
}

await main();
