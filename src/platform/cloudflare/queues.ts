import { resolve } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import type { QueueState, ReplayOptions, ReplayResult } from "../platform.js";
import type { CloudflareContext } from "./context.js";
import { createDlqReplay } from "./dlq-replay.js";
import { backlogOf, QUEUE_BACKLOG_QUERY, type QueueBacklogData } from "./metrics.js";

export interface QueueRecord {
  queue_id: string;
  queue_name: string;
  settings?: { delivery_paused?: boolean };
}

/** The queues capability: the pause lever, state, and the DLQ replay. `env` picks the config section to read. */
export interface CloudflareQueues {
  pauseQueue(queue: string, env?: string): Promise<QueueState>;
  resumeQueue(queue: string, env?: string): Promise<QueueState>;
  queueState(queue: string, env?: string): Promise<QueueState>;
  replayDeadLetters(queue: string, options?: ReplayOptions & { env?: string }): Promise<ReplayResult>;
  queueByName(queue: string): Promise<QueueRecord>;
  /** The DLQ of a source queue, from the consumers in the project's configs. */
  deadLetterQueueOf(queue: string, env?: string): string | undefined;
  /** The source queues that dead-letter into `dlq`. */
  sourcesOfDeadLetterQueue(dlq: string, env?: string): string[];
}

async function queueByName(ctx: CloudflareContext, queue: string): Promise<QueueRecord> {
  const list = await ctx.api.accountPages<QueueRecord>("/queues", { query: { name: queue } });
  const q = list.find((x) => x.queue_name === queue);
  if (q) return q;
  throw new BlastwallError(`queue "${queue}" does not exist on this account`, {
    kind: "input",
    fix: `check the name (wrangler queues list), or create it: wrangler queues create ${queue}`,
  });
}

async function queueState(ctx: CloudflareContext, queues: CloudflareQueues, queue: string, env?: string) {
  const q = await queues.queueByName(queue);
  const deadLetterQueue = queues.deadLetterQueueOf(queue, env);
  const until = ctx.clock.now();
  const window = { since: new Date(until - 5 * 60_000).toISOString(), until: new Date(until).toISOString() };
  const accountTag = await ctx.api.accountId();
  const backlogFor = async (queueId: string) =>
    backlogOf(await ctx.api.graphql<QueueBacklogData>(QUEUE_BACKLOG_QUERY, { accountTag, queueId, ...window }));
  const backlog = await backlogFor(q.queue_id);
  const dlqDepth = deadLetterQueue ? await backlogFor((await queues.queueByName(deadLetterQueue)).queue_id) : undefined;
  return {
    queue,
    paused: q.settings?.delivery_paused === true,
    ...(backlog !== undefined ? { backlog } : {}),
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    ...(dlqDepth !== undefined ? { dlqDepth } : {}),
  } satisfies QueueState;
}

/**
 * @example
 * const queues = createCloudflareQueues(ctx);
 * await queues.pauseQueue("order-events");
 */
export function createCloudflareQueues(ctx: CloudflareContext): CloudflareQueues {
  const consumers = (env: string | undefined) =>
    ctx.configs().flatMap((c) => ctx.settingsOf(c, ctx.envOf(env)).queues.consumers);
  const replay = createDlqReplay({ api: ctx.api, queueId: async (name) => (await queueByName(ctx, name)).queue_id });
  const lever = async (verb: "pause-delivery" | "resume-delivery", queue: string, env?: string) => {
    await ctx.wranglerRetrying(["queues", verb, queue], { cwd: resolve(ctx.projectDir) });
    return queues.queueState(queue, env);
  };
  const queues: CloudflareQueues = {
    pauseQueue: (queue, env) => lever("pause-delivery", queue, env),
    resumeQueue: (queue, env) => lever("resume-delivery", queue, env),
    queueState: (queue, env) => queueState(ctx, queues, queue, env),
    queueByName: (queue) => queueByName(ctx, queue),
    deadLetterQueueOf: (queue, env) => consumers(env).find((x) => x.queue === queue)?.dead_letter_queue,
    sourcesOfDeadLetterQueue: (dlq, env) =>
      consumers(env)
        .filter((x) => x.dead_letter_queue === dlq)
        .map((x) => x.queue),
    async replayDeadLetters(queue, { env, ...options } = {}) {
      const dlq = queues.deadLetterQueueOf(queue, env);
      if (!dlq) {
        throw new BlastwallError(`${queue} has no dead_letter_queue in this project's wrangler configs`, {
          kind: "input",
          fix: `set "dead_letter_queue" on the consumer of ${queue}, or name the source queue (not the DLQ)`,
        });
      }
      return replay(queue, dlq, options);
    },
  };
  return queues;
}
