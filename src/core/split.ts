import { BlastwallError } from "./errors.js";

/** One version's share of traffic in a deployment, in percent. */
export interface SplitShare {
  versionId: string;
  percentage: number;
}

/**
 * How far the shares may add up from 100 and still count as 100: room for decimal shares such as 33.333 + 66.667,
 * far below the smallest share anyone deploys on purpose.
 */
export const SPLIT_SUM_TOLERANCE = 0.001;

/** Deployments hold at most this many versions (a stable and a candidate). */
export const MAX_SPLIT_VERSIONS = 2;

/**
 * Checks a split before any platform acts on it: 1 or 2 different versions, each share 0-100, adding up to 100
 * (within {@link SPLIT_SUM_TOLERANCE}). Every platform and the CLI use this one rule.
 *
 * @example
 * assertSplit([{ versionId: "v2", percentage: 10 }, { versionId: "v1", percentage: 90 }]); // fine
 * assertSplit([{ versionId: "v2", percentage: 10 }]); // throws: the shares add up to 10%, not 100%
 */
export function assertSplit(split: readonly SplitShare[]): void {
  const list = split.map((s) => `${s.versionId.slice(0, 8)}@${s.percentage}`).join(" + ");
  if (split.length === 0 || split.length > MAX_SPLIT_VERSIONS) {
    throw new BlastwallError(`a deployment holds 1 or ${MAX_SPLIT_VERSIONS} versions, got ${split.length}`, {
      fix: "deploy one version at 100%, or two, e.g. `<new>@10 <old>@90`",
    });
  }
  for (const s of split) {
    if (!Number.isFinite(s.percentage) || s.percentage < 0 || s.percentage > 100) {
      throw new BlastwallError(`share ${s.percentage}% for ${s.versionId.slice(0, 8)} is outside 0-100`, {
        fix: "give each version a share between 0 and 100",
      });
    }
  }
  const total = split.reduce((t, s) => t + s.percentage, 0);
  if (Math.abs(total - 100) > SPLIT_SUM_TOLERANCE) {
    throw new BlastwallError(`the shares add up to ${total}%, not 100% (${list})`, {
      fix: "make the percentages add up to 100, e.g. `<new>@10 <old>@90`",
    });
  }
  if (split.length === 2 && split[0]?.versionId === split[1]?.versionId) {
    throw new BlastwallError(`version ${split[0]?.versionId.slice(0, 8)} is listed twice`, {
      fix: "list two different versions",
    });
  }
}
