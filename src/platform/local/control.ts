import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import type { AnalysisRecord, SplitEntry, UploadVersionOptions } from "../platform.js";
import type { Edge } from "./edge.js";

/** Version prefix of every control API path. */
export const CONTROL_PREFIX = "/v1";
/** Where the control server serves the live dashboard (also at `/` when no static folder is installed). */
export const DASHBOARD_PATH = "/dashboard";

/**
 * The live dashboard's address. The token rides in the fragment, which browsers never send to a server: the page
 * reads it, keeps it for the tab's session and drops it from the address bar. JSON output leaves it out
 * (`withToken: false`), as it leaves out the token everywhere.
 */
export function dashboardUrl(
  { controlPort, token }: { controlPort: number; token: string },
  { withToken = true }: { withToken?: boolean } = {},
): string {
  return `http://127.0.0.1:${controlPort}${DASHBOARD_PATH}${withToken ? `#token=${token}` : ""}`;
}

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

type Handler = (ctx: {
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  baseUrl: string;
}) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function dateParam(query: URLSearchParams, name: string): Date | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const d = new Date(/^\d+$/.test(raw) ? Number(raw) : raw);
  if (Number.isNaN(d.getTime()))
    throw new BlastwallError(`${name}=${raw} is not a date`, { fix: "send ISO 8601 or ms" });
  return d;
}

function listParam(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "");
}

/**
 * The control API of the local edge (documented in docs/local-edge.md). JSON in and out, bearer token from
 * `.blastwall/local/edge.json`, 127.0.0.1 only. Errors come back as `{ error, fix, kind, location }` with
 * 400 (unusable input) or 409 (the operation found a problem).
 *
 * @example
 * const server = createControlServer({ edge });
 * server.listen(0, "127.0.0.1");
 */
export function createControlServer({ edge, onShutdown, staticDir, dashboard }: ControlServerOptions): Server {
  const w = "/workers/([^/]+)";
  const routes: Route[] = [];
  const on = (method: string, path: string, handler: Handler) =>
    routes.push({ method, pattern: new RegExp(`^${CONTROL_PREFIX}${path}$`), handler });

  on("GET", "/status", ({ baseUrl }) => edge.status(baseUrl));
  on("POST", "/shutdown", () => {
    setTimeout(() => onShutdown?.(), 10);
    return { stopping: true };
  });
  on("GET", `${w}/versions`, ({ params: [worker = ""] }) => edge.listVersions(worker));
  on("POST", `${w}/versions`, ({ params: [worker = ""], body }) => {
    const vars = body.vars as Record<string, string> | undefined;
    const options: UploadVersionOptions = {
      worker,
      configPath: str(body.configPath) ?? "",
      ...(str(body.tag) ? { tag: str(body.tag) } : {}),
      ...(str(body.message) ? { message: str(body.message) } : {}),
      ...(str(body.env) ? { env: str(body.env) } : {}),
      ...(vars ? { vars } : {}),
    };
    if (!options.configPath)
      throw new BlastwallError("configPath is required", { fix: "send the wrangler config path" });
    return edge.uploadVersion(options);
  });
  on("GET", `${w}/deployments`, ({ params: [worker = ""] }) => edge.listDeployments(worker));
  on("GET", `${w}/deployments/current`, ({ params: [worker = ""] }) => edge.currentDeployment(worker) ?? null);
  on("POST", `${w}/deployments`, ({ params: [worker = ""], body }) =>
    edge.deploy(worker, (body.versions as SplitEntry[] | undefined) ?? [], str(body.message)),
  );
  on("POST", `${w}/rollback`, ({ params: [worker = ""], body }) =>
    edge.rollback(worker, str(body.to), str(body.message)),
  );
  on("GET", `${w}/metrics`, ({ params: [worker = ""], query }) =>
    edge.metrics({
      worker,
      since: dateParam(query, "since") ?? new Date(Date.now() - 5 * 60_000),
      ...(dateParam(query, "until") ? { until: dateParam(query, "until") } : {}),
      slowerThanMs: listParam(query, "slowerThanMs").map(Number).filter(Number.isFinite),
    }),
  );
  on("GET", `${w}/series`, ({ params: [worker = ""], query }) =>
    edge.metricsRecorder.series(
      worker,
      dateParam(query, "since") ?? new Date(Date.now() - 5 * 60_000),
      dateParam(query, "until") ?? new Date(),
    ),
  );
  on("GET", `${w}/signals`, ({ params: [worker = ""], query }) =>
    edge.extraSignals({
      worker,
      since: dateParam(query, "since") ?? new Date(Date.now() - 5 * 60_000),
      ...(dateParam(query, "until") ? { until: dateParam(query, "until") } : {}),
      queues: listParam(query, "queues"),
      durableObjects: listParam(query, "durableObjects"),
    }),
  );
  on("GET", "/dashboard", ({ query }) => {
    const windowSeconds = Number(query.get("window") ?? 300);
    if (!Number.isInteger(windowSeconds) || windowSeconds < 10 || windowSeconds > 3600)
      throw new BlastwallError(`window=${query.get("window")} is not 10-3600 seconds`, { fix: "send e.g. window=300" });
    if (!dashboard)
      throw new BlastwallError("this edge serves no dashboard", { fix: "start it with `blastwall local up`" });
    return dashboard.data(windowSeconds);
  });
  on("POST", `${w}/analysis`, ({ params: [worker = ""], body }) => edge.recordAnalysis(analysisRecord(worker, body)));
  on("GET", `${w}/analysis`, ({ params: [worker = ""], query }) =>
    edge.listAnalysis(worker, dateParam(query, "since")),
  );
  on("GET", "/queues", () => edge.listQueues());
  on("GET", "/queues/([^/]+)", ({ params: [q = ""] }) => edge.queueState(q));
  on("POST", "/queues/([^/]+)/pause", ({ params: [q = ""] }) => edge.pauseQueue(q));
  on("POST", "/queues/([^/]+)/resume", ({ params: [q = ""] }) => edge.resumeQueue(q));
  on("POST", "/queues/([^/]+)/messages", ({ params: [q = ""], body }) => {
    const messages = Array.isArray(body.messages) ? (body.messages as { body?: unknown }[]) : [];
    return edge.sendToQueue(
      q,
      messages.map((m) => m.body ?? null),
    );
  });
  on("POST", "/queues/([^/]+)/dlq/replay", ({ params: [q = ""], body }) =>
    edge.replayDeadLetters(q, {
      dryRun: body.dryRun === true,
      ...(typeof body.limit === "number" ? { limit: body.limit } : {}),
    }),
  );
  on("GET", "/flags", () => edge.listFlags());
  on("PUT", "/flags/([^/]+)", ({ params: [name = ""], body }) =>
    edge.setFlag(name, str(body.value) ?? "", str(body.actor) ?? "unknown"),
  );
  const db = `${w}/d1/([^/]+)`;
  on("GET", `${db}/migrations`, ({ params: [worker = "", d = ""] }) => edge.listMigrations(worker, d));
  on("POST", `${db}/migrations/apply`, ({ params: [worker = "", d = ""], body }) =>
    edge.applyMigrations(worker, d, str(body.upTo)),
  );
  on("GET", `${db}/restore-points`, ({ params: [worker = "", d = ""] }) => edge.listRestorePoints(worker, d));
  on("POST", `${db}/restore-points`, ({ params: [worker = "", d = ""], body }) =>
    edge.createRestorePoint(worker, d, str(body.beforeMigration)),
  );
  on("POST", `${db}/restore`, async ({ params: [worker = "", d = ""], body }) => {
    await edge.restore(worker, d, str(body.bookmark) ?? "");
    return { restored: true };
  });

  const expected = Buffer.from(`Bearer ${edge.token}`);
  const authorized = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? "");
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

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
      if (!authorized(req)) return json(res, 401, { error: "missing or wrong bearer token", kind: "input" });
      const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
      if (!route) return json(res, 404, { error: `no control route ${req.method} ${url.pathname}`, kind: "input" });
      try {
        const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
        const body = req.method === "GET" ? {} : await readJson(req);
        const addr = req.socket.localAddress ?? "127.0.0.1";
        const baseUrl = `http://${addr}:${req.socket.localPort ?? 0}`;
        json(res, 200, (await route.handler({ params, query: url.searchParams, body, baseUrl })) ?? null);
      } catch (err) {
        if (err instanceof BlastwallError) {
          json(res, err.kind === "input" ? 400 : 409, {
            error: err.message,
            kind: err.kind,
            ...(err.fix ? { fix: err.fix } : {}),
            ...(err.location ? { location: err.location } : {}),
          });
        } else if (err instanceof URIError) json(res, 400, { error: `bad path: ${url.pathname}`, kind: "input" });
        else json(res, 500, { error: (err as Error).message ?? String(err), kind: "failure" });
      }
    })();
  });
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Validates a posted analysis record; bad fields are dropped rather than stored as garbage. */
function analysisRecord(worker: string, body: Record<string, unknown>): AnalysisRecord {
  const t = num(body.t);
  const verdict = str(body.verdict);
  if (t === undefined || !verdict) {
    throw new BlastwallError("an analysis record needs t (epoch seconds) and verdict", {
      fix: 'send e.g. { "t": 1764170000, "verdict": "continue", "message": "e=1.2 < 20", "e": 1.2, "threshold": 20 }',
    });
  }
  const numbers: Record<string, number | string> = {};
  if (typeof body.numbers === "object" && body.numbers !== null) {
    for (const [k, v] of Object.entries(body.numbers))
      if (typeof v === "number" || typeof v === "string") numbers[k] = v;
  }
  const e = num(body.e);
  const eLatency = num(body.eLatency);
  const threshold = num(body.threshold);
  return {
    worker,
    t,
    verdict,
    message: str(body.message) ?? "",
    ...(e !== undefined ? { e } : {}),
    ...(eLatency !== undefined ? { eLatency } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(Object.keys(numbers).length ? { numbers } : {}),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new BlastwallError("the request body is not JSON", { fix: "send a JSON object" });
  }
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
