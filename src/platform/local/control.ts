import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import { BlastwallError } from "../../core/errors.js";
import {
  analysisInput,
  dateParam,
  deployInput,
  flagInput,
  listParam,
  messagesInput,
  replayInput,
  rollbackInput,
  stringsInput,
  uploadInput,
  windowOf,
  windowQueryInput,
} from "./control-input.js";
import type { Edge } from "./edge.js";
import { DASHBOARD_PATH } from "./edge-file.js";

/** Version prefix of every control API path. */
export const CONTROL_PREFIX = "/v1";
export { DASHBOARD_PATH, dashboardUrl } from "./edge-file.js";

export interface ControlServerOptions {
  edge: Edge;
  /** Called after `POST /v1/shutdown` has answered. */
  onShutdown?: () => void;
  /** Static files served without a token at `/`; API calls still need it. The built-in dashboard stays at /dashboard. */
  staticDir?: string;
  /** The live dashboard (the UI layer provides it); without one, /dashboard answers 404. */
  dashboard?: ControlDashboard;
}

/** What the control server needs of a dashboard: its page, and its data for the last `windowSeconds`. */
export interface ControlDashboard {
  page(): string;
  data(windowSeconds: number): Promise<unknown>;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The error body every failed control call answers with; the client turns it back into a BlastwallError. */
export interface ControlError {
  error: string;
  kind: BlastwallError["kind"];
  fix?: string;
  location?: BlastwallError["location"];
}

function errorOf(err: unknown): { status: 400 | 409 | 500; body: ControlError } {
  if (err instanceof BlastwallError) {
    return {
      status: err.kind === "input" ? 400 : 409,
      body: {
        error: err.message,
        kind: err.kind,
        ...(err.fix ? { fix: err.fix } : {}),
        ...(err.location ? { location: err.location } : {}),
      },
    };
  }
  if (err instanceof HTTPException) return { status: 400, body: { error: err.message, kind: "input" } };
  if (err instanceof URIError)
    return { status: 400, body: { error: "bad path: not valid percent-encoding", kind: "input" } };
  return { status: 500, body: { error: (err as Error).message ?? String(err), kind: "failure" } };
}

const body = <T>(parse: (value: unknown) => T) => validator("json", (value) => parse(value));
const windowQuery = validator("query", (_value, c) => windowQueryInput(c.req.queries()));
const sinceQuery = validator("query", (_value, c): { since?: string } => {
  const since = c.req.query("since");
  dateParam(since, "since");
  return since === undefined ? {} : { since };
});

/**
 * The control API as one typed Hono app: the daemon serves it, and its `hc` client is the local platform
 * (client.ts), so a route, its input check and its caller's types cannot drift apart. Bodies are checked by
 * control-input.ts at this boundary.
 *
 * @example
 * const app = createControlApp({ edge });
 * const res = await app.request("/v1/queues", { headers: { authorization: `Bearer ${edge.token}` } });
 */
export function createControlApp({ edge, onShutdown, dashboard }: Omit<ControlServerOptions, "staticDir">) {
  const expected = Buffer.from(`Bearer ${edge.token}`);
  return new Hono()
    .basePath(CONTROL_PREFIX)
    .onError((err, c) => {
      const { status, body: out } = errorOf(err);
      return c.json(out, status);
    })
    .notFound((c) => c.json({ error: `no control route ${c.req.method} ${c.req.path}`, kind: "input" }, 404))
    .use(async (c, next) => {
      const got = Buffer.from(c.req.header("authorization") ?? "");
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        return c.json({ error: "missing or wrong bearer token", kind: "input" }, 401);
      }
      await next();
    })
    .get("/status", (c) => c.json(edge.status(new URL(c.req.url).origin)))
    .post("/shutdown", (c) => {
      setTimeout(() => onShutdown?.(), 10);
      return c.json({ stopping: true });
    })
    .route("/", versionRoutes(edge))
    .route("/", signalRoutes(edge, dashboard))
    .route("/", queueRoutes(edge))
    .route("/", flagRoutes(edge))
    .route("/", databaseRoutes(edge));
}

/** Versions, deployments and rollback of a Worker. */
function versionRoutes(edge: Edge) {
  return new Hono()
    .get("/workers/:worker/versions", (c) => c.json(edge.deployments.list(c.req.param("worker"))))
    .post("/workers/:worker/versions", body(uploadInput), async (c) =>
      c.json(await edge.deployments.upload({ worker: c.req.param("worker"), ...c.req.valid("json") })),
    )
    .get("/workers/:worker/deployments", (c) => c.json(edge.deployments.history(c.req.param("worker"))))
    .get("/workers/:worker/deployments/current", (c) => c.json(edge.deployments.current(c.req.param("worker")) ?? null))
    .post("/workers/:worker/deployments", body(deployInput), async (c) => {
      const { versions, message } = c.req.valid("json");
      return c.json(await edge.deployments.deploy(c.req.param("worker"), versions, message));
    })
    .post("/workers/:worker/rollback", body(rollbackInput), async (c) => {
      const { to, message } = c.req.valid("json");
      return c.json(await edge.deployments.rollback(c.req.param("worker"), to, message));
    });
}

/** Metrics, attributed signals, the dashboard's data and the release's analysis polls. */
function signalRoutes(edge: Edge, dashboard: ControlDashboard | undefined) {
  return new Hono()
    .get("/workers/:worker/metrics", windowQuery, (c) =>
      c.json(edge.signals.metrics({ worker: c.req.param("worker"), ...windowOf(c.req.valid("query")) })),
    )
    .get("/workers/:worker/series", windowQuery, (c) => {
      const { since, until } = windowOf(c.req.valid("query"));
      return c.json(edge.signals.series(c.req.param("worker"), since, until));
    })
    .get("/workers/:worker/signals", windowQuery, (c) =>
      c.json(
        edge.signals.extraSignals({
          worker: c.req.param("worker"),
          ...windowOf(c.req.valid("query")),
          queues: listParam(c.req.valid("query").queues),
          durableObjects: listParam(c.req.valid("query").durableObjects),
        }),
      ),
    )
    .get("/dashboard", async (c) => {
      const raw = c.req.query("window");
      const windowSeconds = Number(raw ?? 300);
      if (!Number.isInteger(windowSeconds) || windowSeconds < 10 || windowSeconds > 3600)
        throw new BlastwallError(`window=${raw} is not 10-3600 seconds`, { fix: "send e.g. window=300" });
      if (!dashboard)
        throw new BlastwallError("this edge serves no dashboard", { fix: "start it with `blastwall local up`" });
      return c.json((await dashboard.data(windowSeconds)) as Record<string, unknown>);
    })
    .post("/workers/:worker/analysis", body(analysisInput), (c) =>
      c.json(edge.analysis.record({ worker: c.req.param("worker"), ...c.req.valid("json") })),
    )
    .get("/workers/:worker/analysis", sinceQuery, (c) =>
      c.json(edge.analysis.list(c.req.param("worker"), dateParam(c.req.valid("query").since, "since"))),
    );
}

/** Queue levers: state, pause, resume, send, DLQ replay. */
function queueRoutes(edge: Edge) {
  return new Hono()
    .get("/queues", (c) => c.json(edge.queues.list()))
    .get("/queues/:queue", (c) => c.json(edge.queues.state(c.req.param("queue"))))
    .post("/queues/:queue/pause", (c) => c.json(edge.queues.pause(c.req.param("queue"))))
    .post("/queues/:queue/resume", (c) => c.json(edge.queues.resume(c.req.param("queue"))))
    .post("/queues/:queue/messages", body(messagesInput), (c) =>
      c.json(
        edge.queues.send(
          c.req.param("queue"),
          c.req.valid("json").messages.map((m) => m.body),
        ),
      ),
    )
    .post("/queues/:queue/dlq/replay", body(replayInput), (c) =>
      c.json(edge.queues.replay(c.req.param("queue"), c.req.valid("json"))),
    );
}

function flagRoutes(edge: Edge) {
  return new Hono()
    .get("/flags", async (c) => c.json(await edge.flags.list()))
    .put("/flags/:name", body(flagInput), async (c) => {
      const { value, actor } = c.req.valid("json");
      return c.json(await edge.flags.set(c.req.param("name"), value, actor));
    });
}

/** D1 migrations, restore points and restore. */
function databaseRoutes(edge: Edge) {
  const db = "/workers/:worker/d1/:database";
  return new Hono()
    .get(`${db}/migrations`, async (c) =>
      c.json(await edge.databases.migrations(c.req.param("worker"), c.req.param("database"))),
    )
    .post(`${db}/migrations/apply`, body(stringsInput("upTo")), async (c) =>
      c.json(await edge.databases.apply(c.req.param("worker"), c.req.param("database"), c.req.valid("json").upTo)),
    )
    .get(`${db}/restore-points`, async (c) =>
      c.json(await edge.databases.restorePoints(c.req.param("worker"), c.req.param("database"))),
    )
    .post(`${db}/restore-points`, body(stringsInput("beforeMigration")), async (c) => {
      const { beforeMigration } = c.req.valid("json");
      return c.json(
        await edge.databases.createRestorePoint(c.req.param("worker"), c.req.param("database"), beforeMigration),
      );
    })
    .post(`${db}/restore`, body(stringsInput("bookmark")), async (c) => {
      await edge.databases.restore(c.req.param("worker"), c.req.param("database"), c.req.valid("json").bookmark ?? "");
      return c.json({ restored: true });
    });
}

/** The control API's type: the `hc` client in client.ts is built from it. */
export type ControlApp = ReturnType<typeof createControlApp>;

/**
 * The control server of the local edge (documented in docs/local-edge.md): the Hono app at /v1 (JSON, bearer token
 * from `.blastwall/local/edge.json`, 127.0.0.1 only; errors as `{ error, fix, kind, location }` with 400 for
 * unusable input and 409 for a problem found), the live dashboard page, and the dashboard's static files.
 *
 * @example
 * const server = await listen(createControlServer({ edge }), 0);
 */
export function createControlServer({ edge, onShutdown, staticDir, dashboard }: ControlServerOptions): Server {
  const app = createControlApp({ edge, onShutdown, ...(dashboard ? { dashboard } : {}) });
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (
        dashboard &&
        req.method === "GET" &&
        (url.pathname === DASHBOARD_PATH || (url.pathname === "/" && !staticDir))
      ) {
        return html(res, dashboard.page());
      }
      if (!url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return serveStatic(staticDir, url.pathname, res);
      if (!validPath(url.pathname)) return json(res, 400, { error: `bad path: ${url.pathname}`, kind: "input" });
      const addr = req.socket.localAddress ?? "127.0.0.1";
      await send(res, await app.fetch(await toRequest(req, `http://${addr}:${req.socket.localPort ?? 0}`)));
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (err as Error).message, kind: "failure" });
    });
  });
}

/** Node's request as a fetch Request; every body is read as JSON, whatever its content type says (the API speaks nothing else). */
async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const data = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  if (data.length > 0 && !/json/i.test(headers.get("content-type") ?? ""))
    headers.set("content-type", "application/json");
  const method = req.method ?? "GET";
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    ...(data.length > 0 && method !== "GET" && method !== "HEAD" ? { body: data } : {}),
  });
}

function validPath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const buf = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": buf.length });
  res.end(buf);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function html(res: ServerResponse, body: string): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    // The meta CSP in the page cannot forbid framing; the header can.
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  res.end(body);
}

/** Serves the dashboard's files from staticDir (index.html at `/`); never outside that folder. */
function serveStatic(dir: string | undefined, pathname: string, res: ServerResponse): void {
  if (!dir) {
    json(res, 404, { error: "no dashboard is installed on this edge", kind: "input" });
    return;
  }
  const root = resolve(dir);
  let file: string;
  try {
    file = normalize(join(root, decodeURIComponent(pathname === "/" ? "/index.html" : pathname)));
  } catch {
    json(res, 400, { error: `bad path: ${pathname}`, kind: "input" });
    return;
  }
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
    json(res, 404, { error: `not found: ${pathname}`, kind: "input" });
    return;
  }
  res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
}
