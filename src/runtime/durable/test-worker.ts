import { DurableObject } from "cloudflare:workers";

/** A counter per shard, for the sharding and fan-out tests. */
export class DurableShardCounter extends DurableObject {
  async add(key: string, n: number): Promise<number> {
    const next = ((await this.ctx.storage.get<number>(`k:${key}`)) ?? 0) + n;
    await this.ctx.storage.put(`k:${key}`, next);
    return next;
  }

  async keys(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [k, v] of await this.ctx.storage.list<number>({ prefix: "k:" })) out[k.slice(2)] = v;
    return out;
  }

  async whoami(): Promise<string> {
    return this.ctx.id.name ?? this.ctx.id.toString();
  }

  async fail(): Promise<void> {
    throw new Error("application error");
  }
}

export default {
  fetch: () => new Response("durable test worker"),
} satisfies ExportedHandler;
