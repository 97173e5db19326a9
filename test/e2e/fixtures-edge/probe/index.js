// Probe Worker for the local edge's Durable Object split tests: each object counts its writes and says which
// version runs it. BUG=do makes the object throw (a canary whose only bug is in Durable Object code).
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async fetch() {
    if (this.env.BUG === "do") throw new Error("bug in the Durable Object");
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ version: this.env.VERSION, n });
  }

  /** Read over RPC as a property: `await stub.label`. */
  get label() {
    return `counter on ${this.env.VERSION}`;
  }

  async count() {
    return (await this.ctx.storage.get("n")) ?? 0;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.pathname.split("/")[2];
    if (url.pathname.startsWith("/rpc/") && name) {
      const stub = env.COUNTER.getByName(name);
      return Response.json({ label: await stub.label, count: await stub.count(), worker: env.VERSION });
    }
    if (!url.pathname.startsWith("/obj/") || !name) return new Response(`worker ${env.VERSION}`);
    try {
      const res = await env.COUNTER.get(env.COUNTER.idFromName(name)).fetch(request);
      const body = await res.json();
      return Response.json({ ...body, worker: env.VERSION });
    } catch {
      // Degrades like a real app would: the page still answers, so only the Durable Object signal shows the bug.
      return Response.json({ degraded: true, worker: env.VERSION });
    }
  },
};
