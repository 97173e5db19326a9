import type { Deployment, SplitEntry, VersionInfo } from "../platform/platform.js";
import type { ResolvedRampStep } from "../project/blastwall-config.js";
import type { Verdict } from "./analysis/analyze.js";

/**
 * The release state machine, as pure functions. Its state lives on the platform only: each deployment blastwall
 * makes carries a short mark in its message (release id, phase, candidate), and each version it uploads carries
 * the bundle hash in its message. A killed `release` reads them back and resumes or rolls back.
 */

export type Phase = "smoke" | "ramp" | "paused" | "promoted" | "rolled-back";

export interface ReleaseMark {
  release: string;
  phase: Phase;
  /** The candidate version id (a prefix of at least 8 characters). */
  candidate: string;
  /** The blast-window override reason, when one was given. */
  override?: string;
}

/** Cloudflare keeps deployment and version messages short; marks stay within this. */
export const MESSAGE_LIMIT = 100;

/**
 * Renders a deployment message, e.g. `blastwall r=r-mf3k2a p=ramp c=4f2a9c1b override="hotfix"`.
 *
 * @example
 * parseMark(formatMark({ release: "r-1", phase: "smoke", candidate: "4f2a9c1b" }))?.phase; // "smoke"
 */
export function formatMark(m: ReleaseMark): string {
  const head = `blastwall r=${m.release} p=${m.phase} c=${m.candidate.slice(0, 8)}`;
  if (m.override === undefined) return head;
  const room = MESSAGE_LIMIT - head.length - ' override=""'.length;
  const reason = m.override.replace(/"/g, "'").slice(0, Math.max(0, room));
  return `${head} override="${reason}"`;
}

export function parseMark(message: string | undefined): ReleaseMark | undefined {
  if (!message) return undefined;
  const m =
    /\bblastwall r=(\S+) p=(smoke|ramp|paused|promoted|rolled-back) c=([0-9A-Za-z-]+)(?: override="([^"]*)")?/.exec(
      message,
    );
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return {
    release: m[1],
    phase: m[2] as Phase,
    candidate: m[3],
    ...(m[4] !== undefined ? { override: m[4] } : {}),
  };
}

/** The version message blastwall uploads with: the release id and the bundle hash. */
export function formatVersionMessage(release: string, bundleHash: string): string {
  return `blastwall r=${release} bundle=${bundleHash.slice(0, 16)}`;
}

/** The bundle hash recorded with a version, from its message, annotations or tag. */
export function bundleOf(v: VersionInfo | undefined): string | undefined {
  if (!v) return undefined;
  const texts = [v.message, v.annotations?.["workers/message"], v.tag, ...Object.values(v.annotations ?? {})];
  for (const t of texts) {
    const m = t ? /\bbundle=([0-9a-f]{8,64})\b/.exec(t) : null;
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export function sameBundle(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const n = Math.min(a.length, b.length, 16);
  return a.slice(0, n) === b.slice(0, n);
}

export function newReleaseId(now: Date, rand: () => number = Math.random): string {
  return `r-${now.getTime().toString(36)}${Math.floor(rand() * 36 ** 3)
    .toString(36)
    .padStart(3, "0")}`;
}

export type StartDecision =
  | { kind: "fresh"; stable: string | undefined }
  | { kind: "up-to-date"; version: string }
  | {
      kind: "resume";
      release: string;
      candidate: string;
      stable: string;
      percent: number;
      phase: Phase;
      override?: string;
    }
  | { kind: "abandon"; release: string; candidate: string; stable: string; reason: string }
  | { kind: "foreign-split"; detail: string };

function splitOf(d: Deployment): { big: SplitEntry | undefined; entries: SplitEntry[] } {
  const entries = [...d.versions].sort((a, b) => b.percentage - a.percentage);
  return { big: entries[0], entries };
}

/**
 * What a `release` run does first, from the deployment in force alone.
 * - An in-flight blastwall release (smoke, ramp, paused) of the same bundle resumes; of another bundle it is
 *   rolled back first.
 * - A split blastwall did not make is left to the human who made it.
 * - A version at 100 % with the same bundle is up to date.
 */
export function decideStart(
  current: Deployment | undefined,
  versions: readonly VersionInfo[],
  bundleHash: string,
): StartDecision {
  if (!current || current.versions.length === 0) return { kind: "fresh", stable: undefined };
  const mark = parseMark(current.message);
  const { big, entries } = splitOf(current);
  const byId = (id: string | undefined) => versions.find((v) => v.id === id);
  if (entries.length === 2 || (mark && (mark.phase === "smoke" || mark.phase === "ramp" || mark.phase === "paused"))) {
    const cand = mark ? entries.find((e) => e.versionId.startsWith(mark.candidate)) : undefined;
    const stable = entries.find((e) => e !== cand);
    if (!mark || !cand || !stable) {
      return {
        kind: "foreign-split",
        detail: entries.map((e) => `${e.versionId.slice(0, 8)} ${e.percentage}%`).join(" / "),
      };
    }
    if (sameBundle(bundleOf(byId(cand.versionId)), bundleHash)) {
      return {
        kind: "resume",
        release: mark.release,
        candidate: cand.versionId,
        stable: stable.versionId,
        percent: cand.percentage,
        phase: mark.phase,
        ...(mark.override !== undefined ? { override: mark.override } : {}),
      };
    }
    return {
      kind: "abandon",
      release: mark.release,
      candidate: cand.versionId,
      stable: stable.versionId,
      reason: `in-flight release ${mark.release} ships another bundle (${bundleOf(byId(cand.versionId)) ?? "unknown"} ≠ ${bundleHash.slice(0, 16)})`,
    };
  }
  if (big && sameBundle(bundleOf(byId(big.versionId)), bundleHash))
    return { kind: "up-to-date", version: big.versionId };
  return { kind: "fresh", stable: big?.versionId };
}

/** The ramp step to resume at: the first step at or above the canary's current share (0 % → the first step). */
export function resumeStepIndex(steps: readonly ResolvedRampStep[], percent: number): number {
  const i = steps.findIndex((s) => s.percent >= percent && s.percent > 0);
  return i < 0 ? steps.length - 1 : i;
}

/** Seconds the version in force has served 100 %, walking back through the deployments (newest first). */
export function secondsAt100(deployments: readonly Deployment[], now: Date): number | undefined {
  const first = deployments[0];
  const version = first?.versions.find((v) => v.percentage === 100)?.versionId;
  if (!first || !version) return undefined;
  let since = first.createdAt;
  for (const d of deployments) {
    if (!d.versions.some((v) => v.versionId === version && v.percentage === 100)) break;
    since = d.createdAt;
  }
  return Math.max(0, (now.getTime() - Date.parse(since)) / 1000);
}

export interface StepProgress {
  step: ResolvedRampStep;
  /** Seconds since this step's split was deployed. */
  elapsedSeconds: number;
  /** Canary requests seen during this step. */
  canaryRequests: number;
  verdict: Verdict;
  noData: { deadlineSeconds: number; action: "rollback" | "pause" };
}

export type StepAction =
  | { action: "advance"; reason: string }
  | { action: "wait"; reason: string }
  | { action: "rollback"; reason: string }
  | { action: "pause"; reason: string };

/**
 * One poll's decision on a ramp step. A regression rolls back at once; a shared SLO breach or a sample-ratio
 * mismatch pauses; the step advances only when its minimum duration and samples are met and the analysis has
 * enough data; missing data holds it until the progress deadline, then pauses for a human (or rolls back, only
 * if the config asks: that rollback is outside α, since it does not rest on evidence).
 */
export function decideStep({ step, elapsedSeconds, canaryRequests, verdict, noData }: StepProgress): StepAction {
  if (verdict.action === "rollback") return { action: "rollback", reason: verdict.message };
  if (verdict.action === "pause") return { action: "pause", reason: verdict.message };
  const timeOk = elapsedSeconds >= step.minDurationSeconds;
  const samplesOk = canaryRequests >= step.minSamples;
  const status = `${step.percent}%: ${Math.round(elapsedSeconds)}/${step.minDurationSeconds} s, ${canaryRequests}/${step.minSamples} canary requests`;
  if (timeOk && samplesOk && verdict.action === "ok") {
    return { action: "advance", reason: `${status}; ${verdict.message}` };
  }
  const deadline = Math.max(noData.deadlineSeconds, step.minDurationSeconds);
  if (elapsedSeconds >= deadline) {
    const why = `progress deadline ${deadline} s passed with ${canaryRequests}/${step.minSamples} canary requests (${verdict.message})`;
    return noData.action === "pause"
      ? { action: "pause", reason: `${why}: pausing for a human` }
      : { action: "rollback", reason: `${why}: rolling back` };
  }
  return { action: "wait", reason: `${status}; ${verdict.message}` };
}
