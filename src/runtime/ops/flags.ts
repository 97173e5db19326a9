import { isFlagName } from "./names.js";

/**
 * Ops flags: named switches an operator flips during an incident, read on the hot path.
 * Values are strings: "1" / "0" for on/off flags, anything else for valued flags.
 * A read never throws: when the store cannot answer, the flag's declared fail mode decides.
 */

/** What a flag reads as when its store cannot be reached: "open" → off ("0"), "closed" → on ("1"). */
export type FailMode = "open" | "closed";

export interface FlagDefinition {
  /** Required on purpose: whether a kill switch fails open or closed is a product decision, not a default. */
  failMode: FailMode;
  description?: string;
}

/**
 * Flag declarations by name. A name ending in `*` declares a family, e.g. `pause_consumer:*` covers
 * `pause_consumer:order-events`.
 */
export type FlagDefinitions = Record<string, FlagDefinition>;

/** The names a set of definitions accepts (`pause_consumer:*` accepts `pause_consumer:${string}`). */
export type FlagName<D extends FlagDefinitions> = {
  [K in keyof D & string]: K extends `${infer P}*` ? `${P}${string}` : K;
}[keyof D & string];

/** OpenFeature resolution reasons used here. */
export type FlagReason = "STATIC" | "CACHED" | "DEFAULT" | "ERROR";

/** OpenFeature error codes used here. */
export type FlagErrorCode = "FLAG_NOT_FOUND" | "GENERAL";

/** The result of reading one flag, OpenFeature style. */
export interface FlagEvaluation {
  flag: string;
  /** "1"/"0" for on/off flags; other strings for valued flags. */
  value: string;
  /** True when the value is set and is neither "0" nor "". */
  enabled: boolean;
  /** STATIC: read from the store now; CACHED: from the isolate memo; DEFAULT: not set; ERROR: see errorCode. */
  reason: FlagReason;
  errorCode?: FlagErrorCode;
  errorMessage?: string;
  failMode?: FailMode;
  /** Which store answered (or failed to): "durable-object", "kv", "env". */
  store: string;
}

/** A raw answer from a store: the value, or null when the flag was never set. */
export interface StoreRead {
  value: string | null;
  /** True when the answer came from the isolate memo rather than a round trip. */
  cached: boolean;
}

/** Where flag values live. Implemented by the Durable Object, KV and env stores. */
export interface FlagStore {
  /** "durable-object", "kv", "env". */
  readonly kind: string;
  /**
   * Upper bound (ms) on how old a value this store serves can be, memo included. A flip is seen by every
   * reader of this store within this bound. `Infinity` for stores that only change with a deploy.
   */
  readonly stalenessMs: number;
  /** Throws when the store cannot be reached; the reader turns that into the flag's fail mode. */
  read(name: string): Promise<StoreRead>;
}

/** Reads flags from one store against one set of declarations. */
export interface FlagReader<D extends FlagDefinitions = FlagDefinitions> {
  readonly definitions: D;
  readonly store: FlagStore;
  /** Never throws. */
  get(name: FlagName<D>): Promise<FlagEvaluation>;
  /** Never throws: `(await get(name)).enabled`. */
  enabled(name: FlagName<D>): Promise<boolean>;
  /** The declaration that covers `name` (exact first, then the longest `prefix*`), if any. */
  definition(name: string): FlagDefinition | undefined;
}

export interface FlagReaderOptions<D extends FlagDefinitions> {
  flags: D;
  store: FlagStore;
}

export { isFlagName };

/** A flag is enabled when it is set to anything but "0" or "". */
export function isEnabledValue(value: string | null): boolean {
  return value !== null && value !== "0" && value !== "";
}

/**
 * Declares flags with their fail modes and keeps their literal names for typed reads.
 *
 * @example
 * const OPS = defineFlags({
 *   disable_writes: { failMode: "open" },
 *   "pause_consumer:*": { failMode: "open" },
 * });
 */
export function defineFlags<const D extends FlagDefinitions>(flags: D): D {
  for (const [name, def] of Object.entries(flags)) {
    const base = name.endsWith("*") ? name.slice(0, -1) : name;
    if (!isFlagName(base)) {
      throw new TypeError(
        `blastwall defineFlags: "${name}" is not a valid flag name; use 1-128 of letters, digits, _ . : - (a trailing * declares a family)`,
      );
    }
    if (def.failMode !== "open" && def.failMode !== "closed") {
      throw new TypeError(
        `blastwall defineFlags: flag "${name}" must declare failMode: "open" or "closed" (there is no default: decide what an unreachable store means for it)`,
      );
    }
  }
  return flags;
}

/** The declaration that covers `name`: exact first, then the longest `prefix*`. */
export function findDefinition(flags: FlagDefinitions, name: string): FlagDefinition | undefined {
  const exact = flags[name];
  if (exact) return exact;
  let best: { length: number; def: FlagDefinition } | undefined;
  for (const [key, def] of Object.entries(flags)) {
    if (!key.endsWith("*")) continue;
    const prefix = key.slice(0, -1);
    if (name.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, def };
  }
  return best?.def;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates a reader over one store. Cheap to create per request: the memo lives with the store's binding,
 * not with the reader.
 *
 * @example
 * const flags = createFlagReader({ flags: OPS, store: durableObjectStore(env.OPS_FLAGS) });
 * if (await flags.enabled("disable_writes")) return new Response("paused", { status: 503 });
 */
export function createFlagReader<D extends FlagDefinitions>({ flags, store }: FlagReaderOptions<D>): FlagReader<D> {
  const definition = (name: string) => findDefinition(flags, name);
  const get = async (name: string): Promise<FlagEvaluation> => {
    const def = definition(name);
    if (!def) {
      // Reading an undeclared flag is a programming error, but a read still must not throw.
      return {
        flag: name,
        value: "0",
        enabled: false,
        reason: "ERROR",
        errorCode: "FLAG_NOT_FOUND",
        errorMessage: `flag "${name}" is not declared; add it to the reader's flags with a failMode`,
        store: store.kind,
      };
    }
    try {
      const read = await store.read(name);
      const value = read.value ?? "0";
      return {
        flag: name,
        value,
        enabled: isEnabledValue(read.value),
        reason: read.value === null ? "DEFAULT" : read.cached ? "CACHED" : "STATIC",
        failMode: def.failMode,
        store: store.kind,
      };
    } catch (err) {
      const closed = def.failMode === "closed";
      return {
        flag: name,
        value: closed ? "1" : "0",
        enabled: closed,
        reason: "ERROR",
        errorCode: "GENERAL",
        errorMessage: `${store.kind} flag store unreachable (${message(err)}); "${name}" fails ${def.failMode}`,
        failMode: def.failMode,
        store: store.kind,
      };
    }
  };
  return {
    definitions: flags,
    store,
    get: (name) => get(name),
    enabled: async (name) => (await get(name)).enabled,
    definition,
  };
}
