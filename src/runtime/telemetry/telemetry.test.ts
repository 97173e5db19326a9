import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it, vi } from "vitest";
import {
  DEFAULT_LATENCY_BUCKETS_MS,
  latencyBucketOf,
  OVERFLOW_BUCKET_MS,
  recordRequest,
  routeOf,
  statusClassOf,
  TELEMETRY_COLUMNS,
  telemetry,
  VERSION_HEADER,
  withTelemetry,
} from "./index.js";

declare global {
  namespace Cloudflare {
    interface Env {
      TELEMETRY_AE: AnalyticsEngineDataset;
    }
  }
}

/** An Analytics Engine binding that keeps what it was given, so a test can read the data points back. */
function recordingDataset(): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return {
    points,
    writeDataPoint(point?: AnalyticsEngineDataPoint) {
      if (point) points.push(point);
    },
  };
}

const version: WorkerVersionMetadata = { id: "9f3c1c2e-0000-4000-8000-000000000001", tag: "v2", timestamp: "" };

describe("telemetry layout", () => {
  it("classes statuses and buckets latencies", () => {
    expect([101, 200, 204, 302, 404, 429, 500, 503, 0, 700].map(statusClassOf)).toEqual([
      "1xx",
      "2xx",
      "2xx",
      "3xx",
      "4xx",
      "4xx",
      "5xx",
      "5xx",
      "5xx",
      "5xx",
    ]);
    expect(latencyBucketOf(0)).toBe(5);
    expect(latencyBucketOf(5)).toBe(5);
    expect(latencyBucketOf(6)).toBe(10);
    expect(latencyBucketOf(999)).toBe(1000);
    expect(latencyBucketOf(60_000)).toBe(OVERFLOW_BUCKET_MS);
    expect(latencyBucketOf(30, [20, 40])).toBe(40);
    expect([...DEFAULT_LATENCY_BUCKETS_MS].sort((a, b) => a - b)).toEqual(DEFAULT_LATENCY_BUCKETS_MS);
  });
});

describe("withTelemetry (inside workerd)", () => {
  it("writes one data point per request: version id, status class, latency bucket", async () => {
    const ds = recordingDataset();
    const worker = withTelemetry<{ DS: AnalyticsEngineDataset }, ExportedHandler<{ DS: AnalyticsEngineDataset }>>(
      { fetch: (req) => new Response("x", { status: new URL(req.url).pathname === "/missing" ? 404 : 200 }) },
      { worker: "shop-api", dataset: (e) => e.DS, version: () => version },
    );
    const ctx = createExecutionContext();
    const ok = await worker.fetch?.(new Request("https://shop.test/"), { DS: ds }, ctx);
    const missing = await worker.fetch?.(new Request("https://shop.test/missing"), { DS: ds }, ctx);
    await waitOnExecutionContext(ctx);
    expect(ok?.status).toBe(200);
    expect(missing?.status).toBe(404);
    expect(ds.points).toHaveLength(2);
    expect(ds.points[0]).toMatchObject({
      indexes: ["shop-api"],
      blobs: [version.id, "2xx", "v2", ""],
    });
    expect(ds.points[0]?.doubles?.[0]).toBe(200);
    expect(ds.points[0]?.doubles?.[1]).toBe(latencyBucketOf(ds.points[0]?.doubles?.[2] ?? -1));
    expect(ds.points[1]?.blobs?.[1]).toBe("4xx");
  });

  it("labels each request with its route from the user's path patterns", async () => {
    const ds = recordingDataset();
    const routes = [
      ["/orders/:id", "orders/:id"],
      ["/static/*", "static"],
      ["/", "home"],
    ] as const;
    const worker = withTelemetry<object, ExportedHandler>(
      { fetch: () => new Response("x") },
      { worker: "shop-api", dataset: () => ds, routes },
    );
    const ctx = createExecutionContext();
    for (const path of ["/orders/42", "/static/a/b.css", "/", "/orders", "/orders/42/items"]) {
      await worker.fetch?.(new Request(`https://shop.test${path}`), {}, ctx);
    }
    await waitOnExecutionContext(ctx);
    expect(ds.points.map((p) => p.blobs?.[3])).toEqual(["orders/:id", "static", "home", "other", "other"]);
    expect(routeOf("/orders/", routes)).toBe("other");
  });

  it("records a throwing handler as a 500 and rethrows the same error", async () => {
    const ds = recordingDataset();
    const boom = new Error("boom");
    const worker = withTelemetry<object, ExportedHandler>(
      {
        fetch: () => {
          throw boom;
        },
      },
      { worker: "shop-api", dataset: () => ds },
    );
    await expect(worker.fetch?.(new Request("https://shop.test/"), {}, createExecutionContext())).rejects.toBe(boom);
    expect(ds.points[0]?.blobs).toEqual(["unknown", "5xx", "", ""]);
    expect(ds.points[0]?.doubles?.[0]).toBe(500);
  });

  it("never fails a request because the binding is missing or throws", async () => {
    const throwing: AnalyticsEngineDataset = {
      writeDataPoint() {
        throw new Error("dataset unavailable");
      },
    };
    for (const dataset of [undefined, throwing]) {
      const worker = withTelemetry<object, ExportedHandler>(
        { fetch: () => new Response("fine") },
        { worker: "w", dataset: () => dataset },
      );
      const res = await worker.fetch?.(new Request("https://shop.test/"), {}, createExecutionContext());
      expect(await res?.text()).toBe("fine");
    }
  });

  it("does not hold the response back: writeDataPoint is synchronous and returns nothing", async () => {
    // Miniflare's real binding: the write is queued by the runtime, the call returns at once.
    expect(env.TELEMETRY_AE.writeDataPoint({ indexes: ["w"], blobs: ["v"], doubles: [1] })).toBeUndefined();
    let resolved = false;
    const worker = withTelemetry<Cloudflare.Env, ExportedHandler<Cloudflare.Env>>(
      { fetch: () => new Response("ok") },
      { worker: "w", dataset: (e) => e.TELEMETRY_AE, version: () => version },
    );
    const pending = Promise.resolve(
      worker.fetch?.(new Request("https://shop.test/"), env, createExecutionContext()),
    ).then((r) => {
      resolved = true;
      return r;
    });
    expect((await pending)?.status).toBe(200);
    expect(resolved).toBe(true);
  });

  it("recordRequest writes exactly the documented columns", () => {
    const ds = recordingDataset();
    recordRequest(ds, { worker: "shop-consumer", versionId: "v-1", status: 503, latencyMs: 3000 });
    expect(ds.points).toEqual([
      { indexes: ["shop-consumer"], blobs: ["v-1", "5xx", "", ""], doubles: [503, 5000, 3000] },
    ]);
  });
});

describe("the data point layout (inside workerd)", () => {
  it("recordRequest puts each field where TELEMETRY_COLUMNS says the readers find it", () => {
    const ds = recordingDataset();
    recordRequest(ds, { worker: "w", versionId: "v-1", versionTag: "t", status: 503, latencyMs: 3000, route: "r" });
    const [point] = ds.points;
    const read = (column: string) => {
      const [, kind, n] = /^(index|blob|double)(\d+)$/.exec(column) ?? [];
      const list = kind === "index" ? point?.indexes : kind === "blob" ? point?.blobs : point?.doubles;
      return list?.[Number(n) - 1];
    };
    const fields = Object.fromEntries(
      Object.entries(TELEMETRY_COLUMNS).map(([field, column]) => [field, read(column)]),
    );
    expect(fields).toEqual({
      worker: "w",
      versionId: "v-1",
      statusClass: "5xx",
      versionTag: "t",
      route: "r",
      status: 503,
      bucketMs: 5000,
      latencyMs: 3000,
    });
  });
});

describe("x-blastwall-version on responses (inside workerd)", () => {
  type Env = { CF_VERSION_METADATA?: WorkerVersionMetadata };
  const wrap = (fetch: () => Response, options: { versionHeader?: boolean } = {}) =>
    withTelemetry<Env, ExportedHandler<Env>>(
      { fetch },
      { worker: "w", dataset: () => undefined, version: (e) => e.CF_VERSION_METADATA, ...options },
    );

  it("names the version from the version metadata binding", async () => {
    const res = await wrap(() => new Response("ok")).fetch?.(
      new Request("https://shop.test/"),
      { CF_VERSION_METADATA: version },
      createExecutionContext(),
    );
    expect(res?.headers.get(VERSION_HEADER)).toBe(version.id);
    expect(await res?.text()).toBe("ok");
  });

  it("copies a response whose headers are immutable (a redirect) and keeps its status and headers", async () => {
    expect(() => Response.redirect("https://shop.test/b", 302).headers.set("a", "b")).toThrow();
    const res = await wrap(() => Response.redirect("https://shop.test/b", 302)).fetch?.(
      new Request("https://shop.test/a"),
      { CF_VERSION_METADATA: version },
      createExecutionContext(),
    );
    expect(res?.status).toBe(302);
    expect(res?.headers.get("location")).toBe("https://shop.test/b");
    expect(res?.headers.get(VERSION_HEADER)).toBe(version.id);
  });

  it("sets nothing without the binding, or when turned off", async () => {
    const none = await wrap(() => new Response("ok")).fetch?.(
      new Request("https://shop.test/"),
      {},
      createExecutionContext(),
    );
    expect(none?.headers.has(VERSION_HEADER)).toBe(false);
    const off = await wrap(() => new Response("ok"), { versionHeader: false }).fetch?.(
      new Request("https://shop.test/"),
      { CF_VERSION_METADATA: version },
      createExecutionContext(),
    );
    expect(off?.headers.has(VERSION_HEADER)).toBe(false);
  });

  it("the Hono middleware names the version too, on handled errors as well", async () => {
    const app = new Hono<{ Bindings: Env }>();
    app.use(telemetry<Env>({ worker: "w", dataset: () => undefined, version: (e) => e.CF_VERSION_METADATA }));
    app.get("/ok", (c) => c.text("ok"));
    app.get("/moved", () => Response.redirect("https://shop.test/ok", 301));
    app.get("/fail", () => {
      throw new Error("bad");
    });
    app.onError((_err, c) => c.text("handled", 503));
    for (const path of ["/ok", "/moved", "/fail"]) {
      const res = await app.request(path, {}, { CF_VERSION_METADATA: version });
      expect(res.headers.get(VERSION_HEADER)).toBe(version.id);
    }
  });
});

describe("withTelemetry around a Hono app (inside workerd)", () => {
  it("keeps the app's fetch working and records each request", async () => {
    const ds = recordingDataset();
    const app = new Hono<{ Bindings: { DS: AnalyticsEngineDataset } }>();
    app.get("/healthz", (c) => c.json({ ok: true }));
    type Env = { DS: AnalyticsEngineDataset };
    const worker = withTelemetry<Env, typeof app>(app, {
      worker: "shop-api",
      dataset: (e) => e.DS,
      version: () => version,
    });
    const res = await worker.fetch(new Request("https://shop.test/healthz"), { DS: ds }, createExecutionContext());
    expect(await res.json()).toEqual({ ok: true });
    expect(ds.points.map((p) => p.blobs?.[1])).toEqual(["2xx"]);
  });
});

describe("telemetry() Hono middleware (inside workerd)", () => {
  it("records the status the client saw, including errors handled by onError", async () => {
    const ds = recordingDataset();
    const app = new Hono<{ Bindings: { DS: AnalyticsEngineDataset } }>();
    app.use(
      telemetry<{ DS: AnalyticsEngineDataset }>({ worker: "shop-api", dataset: (e) => e.DS, version: () => version }),
    );
    app.get("/ok", (c) => c.text("ok"));
    app.get("/fail", () => {
      throw new Error("bad");
    });
    app.onError((_err, c) => c.text("handled", 503));
    expect((await app.request("/ok", {}, { DS: ds })).status).toBe(200);
    expect((await app.request("/fail", {}, { DS: ds })).status).toBe(503);
    expect((await app.request("/nope", {}, { DS: ds })).status).toBe(404);
    expect(ds.points.map((p) => [p.blobs?.[1], p.doubles?.[0]])).toEqual([
      ["2xx", 200],
      ["5xx", 503],
      ["4xx", 404],
    ]);
  });
});

describe("withTelemetry and telemetry() agree (inside workerd)", () => {
  type Env = { DS: AnalyticsEngineDataset; CF_VERSION_METADATA: WorkerVersionMetadata };
  const bucketsMs = [3, 7];
  const options = {
    worker: "shop-api",
    dataset: (e: Env) => e.DS,
    version: (e: Env) => e.CF_VERSION_METADATA,
    bucketsMs,
    routes: [
      ["/orders/:id", "orders/:id"],
      ["/static/*", "static"],
    ],
  } as const;

  /** The same app, with or without the middleware; `handled` adds an onError that answers 503. */
  function shop({ middleware, handled }: { middleware: boolean; handled: boolean }) {
    const app = new Hono<{ Bindings: Env }>();
    if (middleware) app.use(telemetry<Env>(options));
    app.get("/orders/:id", (c) => c.json({ id: c.req.param("id") }, c.req.param("id") === "0" ? 404 : 200));
    app.get("/static/*", () => Response.redirect("https://shop.test/cdn", 302));
    app.get("/fail", () => {
      throw new Error("bad");
    });
    app.get("/denied", () => {
      throw new HTTPException(401, { message: "sign in" });
    });
    if (handled) app.onError((_err, c) => c.text("handled", 503));
    return app;
  }

  async function through(entry: "wrapper" | "middleware", handled: boolean, path: string) {
    const ds = recordingDataset();
    const app = shop({ middleware: entry === "middleware", handled });
    const worker = entry === "wrapper" ? withTelemetry<Env, typeof app>(app, options) : app;
    const env = { DS: ds, CF_VERSION_METADATA: version };
    const res = await worker.fetch(new Request(`https://shop.test${path}`), env, createExecutionContext());
    expect(ds.points).toHaveLength(1);
    const [point] = ds.points;
    const latencyMs = point?.doubles?.[2] ?? -1;
    // Latency differs by clock, so compare its bucket against the configured bounds, and everything else exactly.
    expect(point?.doubles?.[1]).toBe(latencyBucketOf(latencyMs, bucketsMs));
    return {
      status: res.status,
      header: res.headers.get(VERSION_HEADER),
      indexes: point?.indexes,
      blobs: point?.blobs,
      recordedStatus: point?.doubles?.[0],
    };
  }

  const cases: Array<[path: string, handled: boolean, blobs: unknown[]]> = [
    ["/orders/42", true, [version.id, "2xx", "v2", "orders/:id"]],
    ["/orders/0", true, [version.id, "4xx", "v2", "orders/:id"]],
    ["/static/a/b.css", true, [version.id, "3xx", "v2", "static"]],
    ["/nope", true, [version.id, "4xx", "v2", "other"]],
    ["/fail", true, [version.id, "5xx", "v2", "other"]],
    ["/fail", false, [version.id, "5xx", "v2", "other"]],
    // Hono's default error handler answers an HTTPException with its own status: the client saw a 401.
    ["/denied", false, [version.id, "4xx", "v2", "other"]],
  ];
  for (const [path, handled, blobs] of cases) {
    it(`records ${path}${handled ? "" : " (no onError)"} the same way through both`, async () => {
      // Hono's default error handler logs the error; the test only needs the response.
      const quiet = handled ? undefined : vi.spyOn(console, "error").mockImplementation(() => undefined);
      const wrapped = await through("wrapper", handled, path);
      const middleware = await through("middleware", handled, path);
      quiet?.mockRestore();
      expect(middleware).toEqual(wrapped);
      expect(wrapped).toMatchObject({ indexes: ["shop-api"], blobs, header: version.id });
    });
  }
});
