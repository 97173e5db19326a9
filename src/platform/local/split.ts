import type { SplitEntry } from "../platform.js";

/** A deployment's split with each version's creation time, so the router can order them the same way every time. */
export interface RoutableSplit {
  entries: (SplitEntry & { createdAt: string })[];
}

/**
 * Maps a version key to a point in [0, 100). FNV-1a (32 bit) is stable across processes and restarts,
 * so one key always lands on the same point.
 */
export function keyPoint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Fold the high bits in so that keys differing only in their last character still spread out.
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return ((h >>> 0) % 10_000) / 100;
}

/**
 * Parses `Cloudflare-Workers-Version-Overrides`, a Structured Fields dictionary: `shop-api="<version id>"`,
 * several Workers separated by commas. Returns the version id asked for `worker`, if any.
 */
export function parseOverride(header: string | undefined, worker: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name === worker && value) return value;
  }
  return undefined;
}

/**
 * Orders a split so the newest version owns the low end of [0, 100). A key at point k goes to the newest
 * version while k < its percentage, so as the canary grows a key only ever moves forward, never back.
 */
export function orderSplit(split: RoutableSplit): (SplitEntry & { createdAt: string })[] {
  return [...split.entries].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** Picks the version for a point in [0, 100) (a key's point, or a random one). */
export function pickByPoint(ordered: readonly SplitEntry[], point: number): string | undefined {
  let edge = 0;
  for (const entry of ordered) {
    edge += entry.percentage;
    if (point < edge) return entry.versionId;
  }
  // Percentages add up to 100, so only rounding lands here: the last version with traffic takes it.
  return [...ordered].reverse().find((e) => e.percentage > 0)?.versionId;
}

export interface ChooseVersionOptions {
  worker: string;
  ordered: readonly SplitEntry[];
  overrideHeader?: string;
  keyHeader?: string;
  /** [0, 1); injectable for tests. */
  random?: () => number;
  /** Resolves an override value (full id or short id) to a version id of the split. */
  matchOverride?: (value: string) => string | undefined;
}

export interface VersionChoice {
  versionId: string;
  reason: "override" | "key" | "random";
}

/**
 * Chooses the version for one request: an override naming a version of the deployment wins, then the sticky key,
 * then a random draw weighted by the percentages. Like Cloudflare, an override for a version outside the
 * deployment is ignored.
 *
 * @example
 * chooseVersion({ worker: "shop-api", ordered, keyHeader: "user-42" }); // { versionId, reason: "key" }
 */
export function chooseVersion({
  worker,
  ordered,
  overrideHeader,
  keyHeader,
  random = Math.random,
  matchOverride,
}: ChooseVersionOptions): VersionChoice | undefined {
  const wanted = parseOverride(overrideHeader, worker);
  if (wanted !== undefined) {
    const id = matchOverride ? matchOverride(wanted) : wanted;
    if (id !== undefined && ordered.some((e) => e.versionId === id)) return { versionId: id, reason: "override" };
  }
  if (keyHeader) {
    const id = pickByPoint(ordered, keyPoint(keyHeader));
    if (id !== undefined) return { versionId: id, reason: "key" };
  }
  const id = pickByPoint(ordered, random() * 100);
  return id === undefined ? undefined : { versionId: id, reason: "random" };
}
