/** Per-kind counts of what the generator sent and got back. */
export interface TrafficStats {
  sent: number;
  failed: number;
  byStatus: Record<string, number>;
  writes: { sent: number; ok: number; blocked: number; errors: number };
  reads: { sent: number; ok: number; errors: number };
}

export interface TrafficOptions {
  baseUrl: string;
  /** Target requests per second across all kinds. */
  rps?: number;
  /** Parallel request loops. */
  concurrency?: number;
  users?: number;
}

type Kind = "create" | "list" | "cart" | "health";
const MIX: Kind[] = ["list", "list", "list", "create", "create", "cart", "cart", "health"];

function emptyStats(): TrafficStats {
  return {
    sent: 0,
    failed: 0,
    byStatus: {},
    writes: { sent: 0, ok: 0, blocked: 0, errors: 0 },
    reads: { sent: 0, ok: 0, errors: 0 },
  };
}

/**
 * Realistic shop traffic against the local edge: browsing, carts, orders and health checks, at a steady rate,
 * each request with a sticky version key per user (as a browser session would have).
 *
 * @example
 * const t = startTraffic({ baseUrl: "http://127.0.0.1:8787", rps: 40 });
 * await t.stop();
 */
export function startTraffic({ baseUrl, rps = 40, concurrency = 4, users = 50 }: TrafficOptions) {
  let running = true;
  let stats = emptyStats();
  const interval = (1000 * concurrency) / rps;
  let n = 0;
  const one = async (): Promise<void> => {
    const i = n++;
    const kind = MIX[i % MIX.length] ?? "health";
    const user = `u${i % users}`;
    const headers: Record<string, string> = { "cloudflare-workers-version-key": user };
    let req: { path: string; init: RequestInit };
    if (kind === "create") {
      headers["content-type"] = "application/json";
      const body = { userId: user, items: [{ sku: `sku-${i % 7}`, quantity: 1 + (i % 3), priceCents: 250 }] };
      req = { path: "/orders", init: { method: "POST", headers, body: JSON.stringify(body) } };
    } else if (kind === "list") req = { path: `/orders?user=${user}`, init: { headers } };
    else if (kind === "cart") req = { path: `/carts/${user}`, init: { headers } };
    else req = { path: "/healthz", init: { headers } };
    const write = kind === "create";
    stats.sent++;
    if (write) stats.writes.sent++;
    else stats.reads.sent++;
    try {
      const res = await fetch(`${baseUrl}${req.path}`, { ...req.init, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      if (write) {
        if (res.status < 400) stats.writes.ok++;
        else if (res.status === 503) stats.writes.blocked++;
        else stats.writes.errors++;
      } else if (res.status < 400) stats.reads.ok++;
      else stats.reads.errors++;
    } catch {
      stats.failed++;
    }
  };
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const t0 = performance.now();
      await one();
      const wait = interval - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  });
  return {
    /** Counts since the last reset. */
    stats: (): TrafficStats => stats,
    reset(): TrafficStats {
      const old = stats;
      stats = emptyStats();
      return old;
    },
    async stop(): Promise<TrafficStats> {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}

export type Traffic = ReturnType<typeof startTraffic>;
