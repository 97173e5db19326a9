import { describe, expect, it } from "vitest";
import type { Deployment, VersionInfo } from "../platform/platform.js";
import type { Verdict } from "./analysis/analyze.js";
import {
  bundleOf,
  decideStart,
  decideStep,
  formatMark,
  formatVersionMessage,
  MESSAGE_LIMIT,
  parseMark,
  resumeStepIndex,
  secondsAt100,
} from "./state.js";

const V1 = "11111111-aaaa-4aaa-8aaa-000000000001";
const V2 = "22222222-bbbb-4bbb-8bbb-000000000002";
const versions: VersionInfo[] = [
  {
    id: V1,
    worker: "api",
    createdAt: "2026-11-26T10:00:00Z",
    message: formatVersionMessage("r-a", "aaaa1111aaaa1111ffff"),
  },
  {
    id: V2,
    worker: "api",
    createdAt: "2026-11-26T11:00:00Z",
    message: formatVersionMessage("r-b", "bbbb2222bbbb2222eeee"),
  },
];
function dep(split: [string, number][], message?: string, createdAt = "2026-11-26T12:00:00Z"): Deployment {
  return {
    id: `d-${createdAt}`,
    worker: "api",
    createdAt,
    kind: "deployment",
    ...(message ? { message } : {}),
    versions: split.map(([versionId, percentage]) => ({ versionId, percentage })),
  };
}
const verdict = (action: Verdict["action"], message = "numbers"): Verdict => ({
  action,
  message,
  tests: [],
  e: 1,
  threshold: 100,
  srm: { status: "ok", e: 1, summary: "sample ratio ok" },
  strata: [],
  alerts: [],
  canaryRequests: 0,
  stableRequests: 0,
});

describe("release marks", () => {
  it("round-trip through a deployment message within the platform's limit", () => {
    const mark = {
      release: "r-mf3k2a9x1",
      phase: "ramp" as const,
      candidate: V2,
      override: 'a "long" reason '.repeat(10),
    };
    const text = formatMark(mark);
    expect(text.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(parseMark(text)).toMatchObject({ release: "r-mf3k2a9x1", phase: "ramp", candidate: "22222222" });
    expect(parseMark(text)?.override).toMatch(/^a 'long' reason/);
    expect(parseMark("deployed by hand")).toBeUndefined();
  });

  it("finds the bundle hash of a version in its message, annotations or tag", () => {
    expect(bundleOf(versions[0])).toBe("aaaa1111aaaa1111");
    expect(
      bundleOf({ id: "x", worker: "api", createdAt: "", annotations: { "workers/tag": "bundle=cafe0123cafe0123" } }),
    ).toBe("cafe0123cafe0123");
    expect(bundleOf({ id: "x", worker: "api", createdAt: "" })).toBeUndefined();
  });
});

describe("decideStart", () => {
  const hashV2 = "bbbb2222bbbb2222eeee9999";
  it("starts fresh on a Worker never deployed, or over a stable version with other code", () => {
    expect(decideStart(undefined, versions, hashV2)).toEqual({ kind: "fresh", stable: undefined });
    expect(decideStart(dep([[V1, 100]]), versions, hashV2)).toEqual({ kind: "fresh", stable: V1 });
  });

  it("is up to date when the version at 100% has the same bundle", () => {
    expect(
      decideStart(dep([[V2, 100]], formatMark({ release: "r-b", phase: "promoted", candidate: V2 })), versions, hashV2),
    ).toEqual({
      kind: "up-to-date",
      version: V2,
    });
  });

  it("resumes its own in-flight release of the same bundle, wherever it was killed", () => {
    const mark = formatMark({ release: "r-b", phase: "ramp", candidate: V2, override: "hotfix" });
    expect(
      decideStart(
        dep(
          [
            [V1, 75],
            [V2, 25],
          ],
          mark,
        ),
        versions,
        hashV2,
      ),
    ).toEqual({
      kind: "resume",
      release: "r-b",
      candidate: V2,
      stable: V1,
      percent: 25,
      phase: "ramp",
      override: "hotfix",
    });
    const smoke = formatMark({ release: "r-b", phase: "smoke", candidate: V2 });
    expect(
      decideStart(
        dep(
          [
            [V1, 100],
            [V2, 0],
          ],
          smoke,
        ),
        versions,
        hashV2,
      ),
    ).toMatchObject({ kind: "resume", percent: 0 });
  });

  it("rolls back an in-flight release of other code before starting", () => {
    const mark = formatMark({ release: "r-b", phase: "ramp", candidate: V2 });
    const d = decideStart(
      dep(
        [
          [V1, 50],
          [V2, 50],
        ],
        mark,
      ),
      versions,
      "cccc3333cccc3333",
    );
    expect(d).toMatchObject({ kind: "abandon", candidate: V2, stable: V1 });
  });

  it("leaves a split it did not make to the human who made it", () => {
    expect(
      decideStart(
        dep(
          [
            [V1, 90],
            [V2, 10],
          ],
          "manual canary",
        ),
        versions,
        hashV2,
      ),
    ).toEqual({
      kind: "foreign-split",
      detail: "11111111 90% / 22222222 10%",
    });
  });
});

describe("decideStep", () => {
  const step = { percent: 25, minDurationSeconds: 60, minSamples: 300 };
  const noData = { deadlineSeconds: 600, action: "rollback" as const };

  it("rolls back at once on a regression, even before the minimums", () => {
    const r = decideStep({
      step,
      elapsedSeconds: 5,
      canaryRequests: 10,
      verdict: verdict("rollback", "e=500 ≥ 100"),
      noData,
    });
    expect(r).toEqual({ action: "rollback", reason: "e=500 ≥ 100" });
  });

  it("waits for both the minimum duration and samples, then advances", () => {
    expect(decideStep({ step, elapsedSeconds: 30, canaryRequests: 900, verdict: verdict("ok"), noData }).action).toBe(
      "wait",
    );
    expect(decideStep({ step, elapsedSeconds: 90, canaryRequests: 200, verdict: verdict("ok"), noData }).action).toBe(
      "wait",
    );
    const r = decideStep({ step, elapsedSeconds: 90, canaryRequests: 300, verdict: verdict("ok"), noData });
    expect(r.action).toBe("advance");
    expect(r.reason).toContain("25%: 90/60 s, 300/300 canary requests");
  });

  it("never passes on missing data: holds, then rolls back or pauses at the deadline", () => {
    expect(decideStep({ step, elapsedSeconds: 599, canaryRequests: 0, verdict: verdict("hold"), noData }).action).toBe(
      "wait",
    );
    const r = decideStep({ step, elapsedSeconds: 600, canaryRequests: 12, verdict: verdict("hold"), noData });
    expect(r.action).toBe("rollback");
    expect(r.reason).toContain("progress deadline 600 s passed with 12/300 canary requests");
    const p = decideStep({
      step,
      elapsedSeconds: 600,
      canaryRequests: 12,
      verdict: verdict("hold"),
      noData: { ...noData, action: "pause" },
    });
    expect(p.action).toBe("pause");
  });

  it("pauses, never rolls back, on a verdict that asks for a human (shared SLO breach, sample-ratio mismatch)", () => {
    const r = decideStep({ step, elapsedSeconds: 5, canaryRequests: 10, verdict: verdict("pause", "srm"), noData });
    expect(r).toEqual({ action: "pause", reason: "srm" });
  });
});

describe("resume and soak helpers", () => {
  const steps = [5, 25, 50, 100].map((percent) => ({ percent, minDurationSeconds: 60, minSamples: 10 }));
  it("resumes at the step of the current share", () => {
    expect(resumeStepIndex(steps, 0)).toBe(0);
    expect(resumeStepIndex(steps, 25)).toBe(1);
    expect(resumeStepIndex(steps, 30)).toBe(2);
  });

  it("measures time at 100% back through consecutive deployments of the same version", () => {
    const now = new Date("2026-11-26T12:30:00Z");
    const history = [
      dep([[V2, 100]], undefined, "2026-11-26T12:20:00Z"),
      dep([[V2, 100]], undefined, "2026-11-26T12:00:00Z"),
      dep(
        [
          [V1, 50],
          [V2, 50],
        ],
        undefined,
        "2026-11-26T11:50:00Z",
      ),
    ];
    expect(secondsAt100(history, now)).toBe(1800);
    expect(secondsAt100([history[2] as Deployment], now)).toBeUndefined();
  });
});
