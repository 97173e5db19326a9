export interface ShardOptions {
  /** How many objects share the load. Keep it fixed, or grow it knowing that about 1/N of keys move. */
  shards: number;
  /** Names the shard set: shard i is `idFromName("<name>:<i>")`. Default `"shard"`. */
  name?: string;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** FNV-1a, 64-bit, over the UTF-8 bytes: stable across isolates, versions and machines. */
function fnv1a64(key: string): bigint {
  let h = FNV_OFFSET;
  for (const b of encoder.encode(key)) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
}

/**
 * Jump consistent hash (Lamping & Veach, 2014): spreads keys evenly over `buckets`, and growing from N to N+1
 * moves only about 1/(N+1) of the keys, all of them to the new shard.
 */
function jump(hash: bigint, buckets: number): number {
  let key = hash;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor(((b + 1) * 2 ** 31) / Number((key >> 33n) + 1n));
  }
  return b;
}

function checkShards(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > 10_000) {
    throw new RangeError(`shards ${shards} must be an integer from 1 to 10,000`);
  }
}

/** The shard index (0 … shards-1) a key maps to. */
export function shardFor(key: string, shards: number): number {
  checkShards(shards);
  return jump(fnv1a64(key), shards);
}

function shardName(name: string, index: number): string {
  return `${name}:${index}`;
}

/**
 * A stub for the shard that owns `key`: spreads what would be one hot singleton over `shards` objects by a stable
 * hash, so one object's limits (about 1,000 requests/s each) stop being the app's. Use it for shared, keyed state
 * (counters, rate limits, presence). State that already belongs to one entity (a user's cart, a room) needs no
 * sharding: address it by the entity id.
 *
 * @example
 * const stub = shardedStub(env.COUNTERS, `page:${path}`, { shards: 16 });
 * await stub.increment(`page:${path}`);
 */
export function shardedStub<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  key: string,
  { shards, name = "shard" }: ShardOptions,
): DurableObjectStub<T> {
  return namespace.get(namespace.idFromName(shardName(name, shardFor(key, shards))));
}

export interface FanOutOptions extends ShardOptions {
  /** Shards queried at once. Default: all of them. */
  concurrency?: number;
}

/** Some shards failed; the others' results are kept in `results` (undefined where a shard failed). */
export class FanOutError<R> extends Error {
  readonly failures: { shard: number; error: unknown }[];
  readonly results: (R | undefined)[];
  constructor(failures: { shard: number; error: unknown }[], results: (R | undefined)[]) {
    super(
      `fan-out failed on ${failures.length} of ${results.length} shards (${failures
        .slice(0, 3)
        .map((f) => `shard ${f.shard}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
        .join("; ")})`,
    );
    this.name = "FanOutError";
    this.failures = failures;
    this.results = results;
  }
}

/**
 * Reads across every shard of a {@link shardedStub} set and returns the results in shard order. Any failing shard
 * makes it throw a {@link FanOutError} that still carries the other shards' results, so a caller can choose to
 * serve a partial answer.
 *
 * @example
 * const counts = await fanOut(env.COUNTERS, { shards: 16 }, (stub) => stub.total());
 * const total = counts.reduce((a, b) => a + b, 0);
 */
export async function fanOut<T extends Rpc.DurableObjectBranded | undefined, R>(
  namespace: DurableObjectNamespace<T>,
  { shards, name = "shard", concurrency = shards }: FanOutOptions,
  read: (stub: DurableObjectStub<T>, shard: number) => Promise<R>,
): Promise<R[]> {
  checkShards(shards);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  const results: (R | undefined)[] = new Array(shards).fill(undefined);
  const failures: { shard: number; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < shards) {
      const shard = next++;
      try {
        results[shard] = await read(namespace.get(namespace.idFromName(shardName(name, shard))), shard);
      } catch (error) {
        failures.push({ shard, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, shards) }, worker));
  if (failures.length > 0) {
    failures.sort((a, b) => a.shard - b.shard);
    throw new FanOutError(failures, results);
  }
  return results as R[];
}
