/*
 * The names ops flags go by, shared by the runtime (inside workerd) and the Node-side tools (the CLI, the local edge,
 * the Cloudflare platform). Pure and without `node:` imports, so both sides import this one copy.
 */

/** The KV key of a flag: `ops:<name>`. Other Workers and tools write and read exactly this. */
export const KV_PREFIX = "ops:";

const FLAG_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/** The flag-name rule, in words, for error messages. */
export const FLAG_NAME_RULE = "1-128 letters, digits, _ . : or -, not starting with . : or -";

/**
 * True when `name` is a valid flag name (so `pause_consumer:order-events` is one).
 *
 * @example
 * isFlagName("pause_consumer:order-events"); // true
 * isFlagName(":bad"); // false
 */
export function isFlagName(name: string): boolean {
  return FLAG_NAME.test(name);
}

/**
 * The KV key a flag is kept under.
 *
 * @example
 * flagKvKey("disable_writes"); // "ops:disable_writes"
 */
export function flagKvKey(name: string): string {
  return `${KV_PREFIX}${name}`;
}

/**
 * The flag a KV key holds, or undefined for a key outside the `ops:` prefix.
 *
 * @example
 * flagNameOfKvKey("ops:disable_writes"); // "disable_writes"
 */
export function flagNameOfKvKey(key: string): string | undefined {
  return key.startsWith(KV_PREFIX) ? key.slice(KV_PREFIX.length) : undefined;
}
