/** Where consume() learns that a queue's consumption is paused (the `pause_consumer:<queue>` ops flag). */
export interface PauseSource {
  isPaused(queue: string): Promise<boolean>;
}

export interface KvPauseSourceOptions {
  /** Prefix of ops flags in KV. Default `ops:`, the key format of blastwall/ops (`ops:<flag>` = "1" or "0"). */
  prefix?: string;
  /** KV edge cache for the read, in seconds (KV's minimum is 30). Default 30: a pause takes effect within ~30-60 s. */
  cacheTtl?: number;
}

/**
 * Reads `ops:pause_consumer:<queue>` from KV; "1" means paused. Everything else, including a missing key, means
 * running, so a flag that was never set never stalls a queue.
 *
 * @example
 * await consume(batch, handle, { store, pause: { source: kvPauseSource(env.CONFIG) } });
 * // pause: wrangler kv key put --binding CONFIG "ops:pause_consumer:order-events" 1
 */
export function kvPauseSource(
  kv: KVNamespace,
  { prefix = "ops:", cacheTtl = 30 }: KvPauseSourceOptions = {},
): PauseSource {
  return {
    async isPaused(queue) {
      return (await kv.get(`${prefix}pause_consumer:${queue}`, { cacheTtl: Math.max(30, cacheTtl) })) === "1";
    },
  };
}
