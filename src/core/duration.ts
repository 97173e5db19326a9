/** The units a duration string may carry. A bare number is never read as a duration string: its unit is unclear. */
export type DurationUnit = "ms" | "s" | "m" | "h";

/** A duration as a person writes it, e.g. "250ms", "90s", "5m", "1.5h". */
export type DurationText = `${number}${DurationUnit}`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const MS_PER: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** What a person should write, for error messages. */
export const DURATION_HINT = 'write it with a unit, like "250ms", "30s", "5m" or "1h"';

/**
 * True when `text` is a duration with a unit.
 *
 * @example
 * isDurationText("5m"); // true
 * isDurationText("300"); // false: seconds or milliseconds?
 */
export function isDurationText(text: string): text is DurationText {
  return DURATION.test(text);
}

/**
 * Milliseconds in a duration string, or undefined when it is not one. The unit is always explicit, in and out.
 *
 * @example
 * durationMs("90s"); // 90_000
 * durationMs("5"); // undefined
 */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * MS_PER[m[2] as DurationUnit];
}

/**
 * Seconds in a duration: a number is already seconds, a string carries its unit.
 *
 * @example
 * durationSeconds(90); // 90
 * durationSeconds("250ms"); // 0.25
 */
export function durationSeconds(value: number | DurationText): number {
  if (typeof value === "number") return value;
  const ms = durationMs(value);
  if (ms === undefined) throw new RangeError(`not a duration: ${value}`);
  return ms / 1000;
}
