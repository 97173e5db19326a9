import { randomBytes } from "node:crypto";
import { BlastwallError } from "../../core/errors.js";
import type { QueueState, ReplayOptions, ReplayResult } from "../platform.js";
import {
  type DeliveredMessage,
  QueueBroker,
  type QueueConsumer,
  type QueueDeliveryResult,
  type IncomingMessage as QueueMessageIn,
} from "./queue-broker.js";
import type { EdgeRuntime } from "./runtime.js";
import { orderSplit, pickByPoint } from "./split.js";
import type { EdgeState } from "./state.js";

export interface EdgeQueuesOptions {
  file: string;
  state: EdgeState;
  runtime: EdgeRuntime;
  log: (line: string) => void;
  /** [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Queues on the local edge: the durable broker, which version consumes each batch, and the levers (pause, resume,
 * send, DLQ replay). Under a split, each batch goes to a version drawn by the deployment's percentages, like any
 * other invocation of the consumer Worker (Cloudflare does not document the rule; docs/local-edge.md says so).
 *
 * @example
 * const queues = new EdgeQueues({ file, state, runtime, log });
 * queues.pause("orders");
 */
export class EdgeQueues {
  readonly broker: QueueBroker;
  private readonly random: () => number;

  constructor(private readonly options: EdgeQueuesOptions) {
    this.random = options.random ?? Math.random;
    this.broker = new QueueBroker({
      file: options.file,
      consumerOf: (q) => this.consumerOf(q),
      dlqOf: (q) => this.dlqOf(q),
      deliver: (name, q, messages) => this.deliver(name, q, messages),
      log: options.log,
    });
  }

  /** The version consuming the next batch of a queue: drawn by the split of the deployed Worker that consumes it. */
  consumerOf(queue: string): QueueConsumer | undefined {
    const { state } = this.options;
    for (const worker of state.workers()) {
      const deployment = state.current(worker);
      if (!deployment) continue;
      const versions = state.versions(worker);
      const ordered = orderSplit({
        entries: deployment.versions.map((e) => ({
          ...e,
          createdAt: versions.find((v) => v.id === e.versionId)?.createdAt ?? "",
        })),
      });
      const picked = pickByPoint(ordered, this.random() * 100);
      const v = versions.find((x) => x.id === picked);
      const settings = v?.bindings.consumers.find((c) => c.queue === queue);
      if (v && settings) return { runtimeName: v.runtimeName, settings, versionId: v.id };
    }
    return undefined;
  }

  dlqOf(queue: string): string | undefined {
    const { state, runtime } = this.options;
    for (const w of state.workers()) {
      const live = state.primary(w)?.bindings.consumers.find((c) => c.queue === queue)?.deadLetterQueue;
      if (live && state.current(w)) return live;
    }
    for (const v of [...state.versions()].reverse()) {
      const c = v.bindings.consumers.find((x) => x.queue === queue);
      if (c?.deadLetterQueue) return c.deadLetterQueue;
    }
    for (const c of runtime.projectConfigs()) {
      const dlq = c.queues.consumers.find((x) => x.queue === queue)?.dead_letter_queue;
      if (dlq) return dlq;
    }
    return undefined;
  }

  private deliver(runtimeName: string, queue: string, messages: DeliveredMessage[]): Promise<QueueDeliveryResult> {
    const { runtime } = this.options;
    return runtime.track(async () => {
      const worker = await runtime.requireMf().getWorker(runtimeName);
      return (await worker.queue(queue, messages)) as unknown as QueueDeliveryResult;
    });
  }

  /** The internal worker hands every batch from Miniflare's queues to the durable broker here. */
  async endpoint(req: Request): Promise<Response> {
    try {
      const body = (await req.json()) as { queue: string; messages: QueueMessageIn[] };
      this.broker.enqueue(body.queue, body.messages);
      return new Response("stored");
    } catch (err) {
      this.options.log(`queue broker: could not store a batch: ${(err as Error).message}`);
      return new Response((err as Error).message, { status: 500 });
    }
  }

  private check(queue: string): void {
    if (this.names().includes(queue)) return;
    throw new BlastwallError(`no queue named "${queue}" on the local edge`, {
      fix: `use one of: ${this.names().join(", ") || "(none declared in the project's wrangler configs)"}`,
    });
  }

  names(): string[] {
    return [...new Set([...this.options.runtime.queues, ...this.broker.knownQueues()])].sort();
  }

  pause(queue: string): QueueState {
    this.check(queue);
    this.broker.pause(queue);
    return this.broker.state(queue);
  }

  resume(queue: string): QueueState {
    this.check(queue);
    this.broker.resume(queue);
    return this.broker.state(queue);
  }

  state(queue: string): QueueState {
    this.check(queue);
    return this.broker.state(queue);
  }

  /** Puts JSON messages straight into a queue (drills inject poison messages this way; redrives too). */
  send(queue: string, bodies: unknown[]): QueueState {
    this.check(queue);
    const now = Date.now();
    this.broker.enqueue(
      queue,
      bodies.map((b) => ({
        id: randomBytes(16).toString("hex"),
        timestamp: now,
        body: { type: "json", data: JSON.stringify(b) },
      })),
    );
    return this.broker.state(queue);
  }

  /** `queues dlq replay`: the broker moves each dead letter back atomically (see QueueBroker.replay). */
  replay(queue: string, options: ReplayOptions = {}): ReplayResult {
    this.check(queue);
    const dlq = this.dlqOf(queue);
    if (!dlq) {
      throw new BlastwallError(`${queue} has no dead_letter_queue: there is nothing to replay`, {
        fix: `set "dead_letter_queue" on the consumer of ${queue} in its wrangler config`,
      });
    }
    const messages = this.broker.replay(dlq, queue, options);
    return {
      queue,
      deadLetterQueue: dlq,
      dryRun: options.dryRun === true,
      messages,
      remaining: this.broker.depth(dlq),
    };
  }

  list(): QueueState[] {
    return this.names().map((q) => this.broker.state(q));
  }
}
