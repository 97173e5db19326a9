import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { analyticsAnswer, checkAnalyticsSql } from "./schema/analytics-engine.js";
import { checkGraphql, emptyGraphqlAnswer } from "./schema/graphql.js";
import { checkRequest, checkResponse, type MatchedOperation, matchOperation } from "./schema/validate.js";

/**
 * A loopback stand-in for the Cloudflare API, for contract tests only. It answers the endpoints that wrangler
 * 4.86 and blastwall's Cloudflare platform call, with the documented envelope `{ success, errors, messages, result }`
 * and the documented result shapes. It keeps real state (scripts, versions, deployments, queues, D1 on real
 * SQLite, KV), so a test sees the effect of one command in the next. Every request is recorded; a request to an
 * endpoint it does not know is answered 404 and kept in `unknown`, so a test can prove nothing went unanswered.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: string;
  authorization: string | undefined;
  /** The headers that matter to the contract: the R2 jurisdiction and the client (wrangler or blastwall). */
  headers: { "cf-r2-jurisdiction"?: string; "user-agent"?: string };
}

interface ApiVersion {
  id: string;
  number: number;
  metadata: {
    author_email: string;
    author_id: string;
    created_on: string;
    modified_on: string;
    source: string;
    hasPreview: boolean;
  };
  annotations: Record<string, string>;
  resources: {
    bindings: Record<string, unknown>[];
    script: { etag: string; handlers: string[]; last_deployed_from: string };
    script_runtime: { compatibility_date?: string; compatibility_flags?: string[]; usage_model: string };
  };
}

interface ApiDeployment {
  id: string;
  source: string;
  strategy: "percentage";
  author_email: string;
  created_on: string;
  annotations: Record<string, string>;
  versions: { version_id: string; percentage: number }[];
}

export interface ScriptState {
  name: string;
  migrationTag?: string;
  /** workers.dev and preview URLs (`GET …/subdomain`). */
  workersDev: boolean;
  previewsEnabled: boolean;
  crons: string[];
  versions: ApiVersion[];
  /** Oldest first; the API lists them newest first. */
  deployments: ApiDeployment[];
}

export interface QueueRecord {
  queue_id: string;
  queue_name: string;
  created_on: string;
  modified_on: string;
  producers_total_count: number;
  consumers_total_count: number;
  settings: { delivery_paused: boolean; delivery_delay?: number; message_retention_period?: number };
}

/** A message held by a queue, as the pull/peek endpoints answer it. */
export interface QueueMessageRecord {
  id: string;
  body: string;
  attempts: number;
  timestamp_ms: number;
  metadata: Record<string, string>;
  /** Set while pulled and not yet acked; the message is invisible until `until`. */
  lease?: { id: string; until: number };
}

export interface D1State {
  uuid: string;
  name: string;
  db: Database.Database;
  /** bookmark → the database file's bytes at that point, so a restore really restores. */
  bookmarks: Map<string, Buffer>;
  /** Every state by time (each write makes one), for bookmarks looked up by timestamp. */
  history: { at: number; bookmark: string }[];
  restores: { bookmark: string; previous: string }[];
}

export interface ContractServerState {
  accountId: string;
  scripts: Map<string, ScriptState>;
  queues: Map<string, QueueRecord>;
  /** queue_id → messages (the Queues message endpoints: batch, pull, peek, ack). */
  queueMessages: Map<string, QueueMessageRecord[]>;
  d1: Map<string, D1State>;
  kv: Map<string, Map<string, string>>;
  /** namespace → key → the metadata stored with the value. */
  kvMetadata: Map<string, Map<string, unknown>>;
  /** KV namespace ids and R2 buckets (`<jurisdiction>:<name>`, jurisdiction "default" or "eu"…) that exist. */
  kvNamespaces: Set<string>;
  r2Buckets: Set<string>;
  /** queue_id → its consumers (`GET /queues/<id>/consumers`); pulling needs an `http_pull` one. */
  queueConsumers: Map<string, { type: "worker" | "http_pull"; settings: { max_retries?: number } }[]>;
  /** Permission groups the token has (undefined: all). A call needing another answers 403, like Cloudflare. */
  tokenPermissions: Set<string> | undefined;
  /** The account's workers.dev subdomain. */
  subdomain: string;
  /** Items per page where the API paginates and the caller gave no per_page. */
  defaultPerPage: number;
  /** Until this time (fake clock), every call answers 429 with Retry-After: the 5-minute lock-out. */
  rateLimitedUntil: number;
  /** Requests matching this never get an answer (a hung socket). */
  hang: ((rec: RecordedRequest) => boolean) | undefined;
  /** One-off failures: the next `times` requests matching `match` answer `status`. */
  failures: { match: (rec: RecordedRequest) => boolean; status: number; times: number; retryAfter?: number }[];
  /** Workers for Platforms: namespace → user scripts. */
  dispatchNamespaces: Map<string, Set<string>>;
  durableObjectNamespaces: { id: string; name: string; script: string; class: string; use_sqlite: boolean }[];
  /** Canned answers for the analytics endpoints: recorded response shapes from test/contract/fixtures. */
  graphql: (query: string, variables: Record<string, unknown>) => unknown;
  analyticsEngineSql: (sql: string) => unknown;
  /** The ops admin API of a deployed Worker (`/__blastwall/ops`), keyed by flag name. */
  opsFlags: Map<string, { name: string; value: string; updatedAt: string; actor: string }>;
  opsAdminToken: string;
}

export interface ContractServer {
  /** Requests or responses that do not match the vendored Cloudflare schema. A contract test expects none. */
  violations: string[];
  /** `CLOUDFLARE_API_BASE_URL` for wrangler and the platform: http://127.0.0.1:<port>/client/v4 */
  apiBaseUrl: string;
  /** Origin of the stand-in Worker that serves `/__blastwall/ops`. */
  workerUrl: string;
  state: ContractServerState;
  requests: RecordedRequest[];
  /** Requests to endpoints the server does not know. A contract test expects this to stay empty. */
  unknown: RecordedRequest[];
  addScript(name: string, options?: { migrationTag?: string }): ScriptState;
  /** Uploads a version directly (no wrangler), e.g. to seed history. */
  seedVersion(script: string, annotations?: Record<string, string>, bindings?: Record<string, unknown>[]): ApiVersion;
  seedDeployment(script: string, versions: { version_id: string; percentage: number }[], message?: string): void;
  addQueue(name: string): QueueRecord;
  addD1(name: string, uuid?: string): D1State;
  close(): Promise<void>;
}

export interface ContractServerOptions {
  accountId?: string;
  opsAdminToken?: string;
  /** The fake's time (rate-limit windows, D1 history); tests pass the clock they give the platform. */
  clock?: { now(): number };
}

const fixturesDir = new URL("./fixtures/", import.meta.url);

/** The id `GET /user/tokens/verify` answers for the test token. */
export const TOKEN_ID = "ed17574386854bf78a67040be0a770b0";

/** Every permission group the vendored schema names. */
function allPermissions(): string[] {
  const ops = (
    JSON.parse(readFileSync(new URL("./schema/cloudflare-api.subset.json", import.meta.url), "utf8")) as {
      operations: Record<string, { permission: string | null }>;
    }
  ).operations;
  return [...new Set(Object.values(ops).flatMap((o) => (o.permission ? [o.permission] : [])))];
}

/** Reads a recorded response shape from test/contract/fixtures. */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), "utf8"));
}

function envelope(result: unknown, extra: Record<string, unknown> = {}) {
  return { success: true, errors: [], messages: [], result, ...extra };
}

function failure(code: number, message: string) {
  return { success: false, errors: [{ code, message }], messages: [], result: null };
}

function now(): string {
  return new Date().toISOString();
}

/** A Time Travel bookmark in the documented format: four hex groups. */
function newBookmark(seq: number): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${hex(seq, 8)}-${hex(seq * 7, 8)}-${hex(seq * 13, 8)}-${randomUUID().replaceAll("-", "")}`;
}

/** A multipart body's parts. */
function formOf(req: IncomingMessage, raw: Buffer): Promise<FormData> {
  const headers = { "content-type": req.headers["content-type"] ?? "" };
  return new Request("http://form.invalid/", { method: "POST", headers, body: raw }).formData();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the loopback API on 127.0.0.1 with a random port.
 *
 * @example
 * const api = await startCloudflareApiServer();
 * api.addScript("shop-api", { migrationTag: "v1" });
 * // run wrangler with CLOUDFLARE_API_BASE_URL=api.apiBaseUrl
 * await api.close();
 */
export async function startCloudflareApiServer({
  accountId = "0123456789abcdef0123456789abcdef",
  opsAdminToken = "ops-admin-token-for-tests",
  clock = { now: () => Date.now() },
}: ContractServerOptions = {}): Promise<ContractServer> {
  const state: ContractServerState = {
    accountId,
    scripts: new Map(),
    queues: new Map(),
    queueMessages: new Map(),
    d1: new Map(),
    kv: new Map(),
    kvMetadata: new Map(),
    kvNamespaces: new Set(),
    r2Buckets: new Set(),
    queueConsumers: new Map(),
    tokenPermissions: undefined,
    subdomain: "acme",
    defaultPerPage: 10,
    rateLimitedUntil: 0,
    hang: undefined,
    failures: [],
    dispatchNamespaces: new Map(),
    durableObjectNamespaces: [],
    graphql: (query) => emptyGraphqlAnswer(query),
    analyticsEngineSql: (sql) => analyticsAnswer(sql, []),
    opsFlags: new Map(),
    opsAdminToken,
  };
  const requests: RecordedRequest[] = [];
  const unknown: RecordedRequest[] = [];
  const violations: string[] = [];
  let bookmarkSeq = 100;

  const addScript = (name: string, { migrationTag }: { migrationTag?: string } = {}): ScriptState => {
    const s: ScriptState = {
      name,
      migrationTag,
      workersDev: true,
      previewsEnabled: false,
      crons: [],
      versions: [],
      deployments: [],
    };
    state.scripts.set(name, s);
    return s;
  };

  const createVersion = (
    script: ScriptState,
    annotations: Record<string, string>,
    bindings: Record<string, unknown>[],
    runtime: { compatibility_date?: string; compatibility_flags?: string[] } = {},
  ): ApiVersion => {
    const created = now();
    const v: ApiVersion = {
      id: randomUUID(),
      number: script.versions.length + 1,
      metadata: {
        author_email: "ci@example.com",
        author_id: "0000",
        created_on: created,
        modified_on: created,
        source: "wrangler",
        hasPreview: script.previewsEnabled,
      },
      annotations,
      resources: {
        bindings,
        script: { etag: randomUUID().replaceAll("-", ""), handlers: ["fetch"], last_deployed_from: "wrangler" },
        script_runtime: { ...runtime, usage_model: "standard" },
      },
    };
    script.versions.push(v);
    return v;
  };

  const createDeployment = (
    script: ScriptState,
    versions: { version_id: string; percentage: number }[],
    message: string | undefined,
    triggeredBy: string,
  ): ApiDeployment => {
    const d: ApiDeployment = {
      id: randomUUID(),
      source: "wrangler",
      strategy: "percentage",
      author_email: "ci@example.com",
      created_on: now(),
      annotations: { "workers/triggered_by": triggeredBy, ...(message ? { "workers/message": message } : {}) },
      versions,
    };
    script.deployments.push(d);
    return d;
  };

  const addQueue = (name: string): QueueRecord => {
    const q: QueueRecord = {
      queue_id: randomUUID().replaceAll("-", ""),
      queue_name: name,
      created_on: now(),
      modified_on: now(),
      producers_total_count: 1,
      consumers_total_count: 1,
      settings: { delivery_paused: false, delivery_delay: 0, message_retention_period: 345600 },
    };
    state.queues.set(name, q);
    return q;
  };

  const addD1 = (name: string, uuid: string = randomUUID()): D1State => {
    const d: D1State = {
      uuid,
      name,
      db: new Database(":memory:"),
      bookmarks: new Map(),
      history: [],
      restores: [],
    };
    state.d1.set(uuid, d);
    snapshot(d);
    return d;
  };

  function snapshot(d: D1State): string {
    const b = newBookmark(bookmarkSeq++);
    d.bookmarks.set(b, d.db.serialize());
    d.history.push({ at: clock.now(), bookmark: b });
    return b;
  }

  /** The documented page-number pagination: `page`/`per_page`, and `result_info` with the totals. */
  const paged = <T>(rec: RecordedRequest, all: T[]) => {
    const page = Number(rec.query.page?.[0] ?? 1);
    const perPage = Number(rec.query.per_page?.[0] ?? state.defaultPerPage);
    const items = all.slice((page - 1) * perPage, page * perPage);
    const info = {
      page,
      per_page: perPage,
      count: items.length,
      total_count: all.length,
      total_pages: Math.max(1, Math.ceil(all.length / perPage)),
    };
    return { items, info };
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const scriptOr404 = (res: ServerResponse, name: string): ScriptState | undefined => {
    const s = state.scripts.get(name);
    if (!s) json(res, 404, failure(10007, `This Worker does not exist on your account. [code: 10007]`));
    return s;
  };

  const d1Or404 = (res: ServerResponse, id: string): D1State | undefined => {
    const d = state.d1.get(id) ?? [...state.d1.values()].find((x) => x.name === id);
    if (!d) json(res, 404, failure(7404, `The database ${id} could not be found [code: 7404]`));
    return d;
  };

  /** D1's /query: one result per statement, executed on real SQLite. */
  const runD1 = (d: D1State, sql: string, params: unknown[]) => {
    const started = performance.now();
    const meta = (rowsRead: number, rowsWritten: number, changes: number, lastRowId: number) => ({
      duration: performance.now() - started,
      rows_read: rowsRead,
      rows_written: rowsWritten,
      changes,
      last_row_id: lastRowId,
      changed_db: rowsWritten > 0,
      size_after: d.db.serialize().length,
    });
    try {
      const stmt = d.db.prepare(sql);
      if (stmt.reader) {
        const rows = stmt.all(...(params as never[])) as unknown[];
        return [{ results: rows, success: true, meta: meta(rows.length, 0, 0, 0) }];
      }
      const info = stmt.run(...(params as never[]));
      snapshot(d);
      return [{ results: [], success: true, meta: meta(0, info.changes, info.changes, Number(info.lastInsertRowid)) }];
    } catch (err) {
      if (err instanceof RangeError || /more than one statement/i.test(String(err))) {
        d.db.exec(sql);
        snapshot(d);
        return [{ results: [], success: true, meta: meta(0, 1, 1, 0) }];
      }
      throw err;
    }
  };

  const handleOps = async (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${state.opsAdminToken}`) {
      return json(res, 401, { error: "unauthorized", message: "missing or wrong bearer token" });
    }
    const rest = path.slice("/__blastwall/ops".length);
    const toAdmin = (name: string) => {
      const r = state.opsFlags.get(name);
      return {
        name,
        value: r?.value ?? "0",
        enabled: r?.value === "1",
        updatedAt: r?.updatedAt ?? null,
        actor: r?.actor ?? null,
        failMode: null,
      };
    };
    if (rest === "/flags" && req.method === "GET") {
      return json(res, 200, {
        store: { kind: "durable-object", name: "FLAGS" },
        flags: [...state.opsFlags.keys()].sort().map(toAdmin),
      });
    }
    if (rest.startsWith("/flags/") && req.method === "PUT") {
      const name = decodeURIComponent(rest.slice("/flags/".length));
      const input = JSON.parse(body || "{}") as { value?: unknown; actor?: unknown };
      if (typeof input.value !== "string" || typeof input.actor !== "string") {
        return json(res, 400, { error: "bad_request", message: "body must be {value: string, actor: string}" });
      }
      const previous = state.opsFlags.get(name)?.value ?? null;
      state.opsFlags.set(name, { name, value: input.value, updatedAt: now(), actor: input.actor });
      return json(res, 200, { flag: toAdmin(name), previous, changed: previous !== input.value });
    }
    return json(res, 404, { error: "not_found", message: "no such admin route" });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest, raw: Buffer) => {
    const method = req.method ?? "GET";
    const path = rec.path;
    if (path.startsWith("/__blastwall/ops")) return handleOps(req, res, path, rec.body);
    const base = "/client/v4";
    if (!path.startsWith(base)) return false;
    const p = path.slice(base.length);
    let m: RegExpExecArray | null;

    if (p === "/graphql" && method === "POST") {
      const q = JSON.parse(rec.body) as { query: string; variables?: Record<string, unknown> };
      const answer = state.graphql(q.query, q.variables ?? {});
      // The query, its variables and the canned answer, against Cloudflare's GraphQL schema.
      violations.push(...checkGraphql(q.query, q.variables ?? {}, answer));
      return json(res, 200, answer);
    }
    if (p === "/accounts" && method === "GET") {
      return json(
        res,
        200,
        envelope([{ id: accountId, name: "Acme" }], {
          result_info: { page: 1, per_page: 20, count: 1, total_count: 1 },
        }),
      );
    }
    if (p === "/user/tokens/verify" && method === "GET") {
      return json(res, 200, envelope({ id: TOKEN_ID, status: "active" }));
    }
    if (p === `/user/tokens/${TOKEN_ID}` && method === "GET") {
      const groups = [...(state.tokenPermissions ?? allPermissions())].map((name) => ({ id: name, name }));
      return json(
        res,
        200,
        envelope({ id: TOKEN_ID, policies: [{ effect: "allow", permission_groups: groups, resources: {} }] }),
      );
    }
    const acct = `/accounts/${accountId}`;
    if (p.startsWith("/accounts/") && !p.startsWith(`${acct}/`)) {
      return json(res, 403, failure(10000, "Authentication error"));
    }
    if (!p.startsWith(acct)) return false;
    const a = p.slice(acct.length);

    if (a === "/analytics_engine/sql" && method === "POST") {
      const answer = state.analyticsEngineSql(rec.body);
      violations.push(...checkAnalyticsSql(rec.body, answer));
      return json(res, 200, answer);
    }

    // Workers: services, scripts, versions, deployments.
    m = /^\/workers\/services\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      return json(
        res,
        200,
        envelope({
          id: s.name,
          default_environment: {
            environment: "production",
            created_on: s.versions[0]?.metadata.created_on ?? now(),
            modified_on: now(),
            script: {
              id: s.name,
              tag: `tag-${s.name}`,
              tags: [],
              etag: s.versions.at(-1)?.resources.script.etag ?? "",
              handlers: ["fetch"],
              migration_tag: s.migrationTag,
              last_deployed_from: "wrangler",
              created_on: s.versions[0]?.metadata.created_on ?? now(),
              modified_on: now(),
            },
          },
          created_on: now(),
          modified_on: now(),
        }),
      );
    }
    if (a === "/workers/scripts" && method === "GET") {
      return json(
        res,
        200,
        envelope(
          [...state.scripts.values()].map((s) => ({
            id: s.name,
            tag: `tag-${s.name}`,
            etag: s.versions.at(-1)?.resources.script.etag ?? "",
            handlers: ["fetch"],
            migration_tag: s.migrationTag,
            created_on: s.versions[0]?.metadata.created_on ?? now(),
            modified_on: now(),
          })),
        ),
      );
    }
    m = /^\/workers\/scripts\/([^/]+)\/versions$/.exec(a);
    if (m) {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      if (method === "POST") {
        const form = await formOf(req, raw);
        const metaPart = form.get("metadata");
        const metadata = JSON.parse(typeof metaPart === "string" ? metaPart : await (metaPart as Blob).text()) as {
          annotations?: Record<string, string>;
          bindings?: Record<string, unknown>[];
          migrations?: unknown;
          compatibility_date?: string;
          compatibility_flags?: string[];
        };
        if (metadata.migrations) {
          return json(
            res,
            400,
            failure(
              10211,
              "Version upload failed. You attempted to upload a version of a Worker that includes a Durable Object migration, but migrations must be fully applied via a non-versioned deployment. Refer to the documentation for more information. [code: 10211]",
            ),
          );
        }
        const v = createVersion(s, metadata.annotations ?? {}, metadata.bindings ?? [], {
          compatibility_date: metadata.compatibility_date,
          compatibility_flags: metadata.compatibility_flags,
        });
        return json(res, 200, envelope({ ...v, startup_time_ms: 3 }));
      }
      const newest = [...s.versions].reverse();
      // deployable=true ignores pagination and answers full versions (annotations, resources), as wrangler reads them.
      if (rec.query.deployable?.[0] === "true") return json(res, 200, envelope({ items: newest }));
      const { items, info } = paged(rec, newest);
      // A plain list item is short: id, number and metadata only.
      const short = items.map((v) => ({ id: v.id, number: v.number, metadata: v.metadata }));
      return json(res, 200, envelope({ items: short }, { result_info: info }));
    }
    m = /^\/workers\/scripts\/([^/]+)\/versions\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      const v = s.versions.find((x) => x.id === m?.[2]);
      if (!v) return json(res, 404, failure(10210, "version not found [code: 10210]"));
      return json(res, 200, envelope(v));
    }
    // wrangler 4.164 lists a script's secrets before `versions upload` (does a var or binding shadow a secret?).
    m = /^\/workers\/scripts\/([^/]+)\/secrets$/.exec(a);
    if (m && method === "GET") {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      const bindings = s.versions.at(-1)?.resources.bindings ?? [];
      const secrets = bindings
        .filter((b) => b.type === "secret_text")
        .map((b) => ({ name: String(b.name), type: "secret_text" }));
      return json(res, 200, envelope(secrets));
    }
    m = /^\/workers\/scripts\/([^/]+)\/deployments$/.exec(a);
    if (m) {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      // The API lists the latest deployments only (about 10), newest first.
      if (method === "GET") return json(res, 200, envelope({ deployments: [...s.deployments].reverse().slice(0, 10) }));
      if (method === "POST") {
        const input = JSON.parse(rec.body) as {
          versions: { version_id: string; percentage: number }[];
          annotations?: Record<string, string>;
        };
        const total = input.versions.reduce((t, v) => t + v.percentage, 0);
        if (input.versions.length > 2 || Math.abs(total - 100) > 0.001) {
          return json(res, 400, failure(10200, "a deployment takes at most 2 versions adding up to 100%"));
        }
        for (const v of input.versions) {
          if (!s.versions.some((x) => x.id === v.version_id)) {
            return json(res, 400, failure(10210, `version ${v.version_id} not found [code: 10210]`));
          }
        }
        const force = rec.query.force?.[0] === "true";
        const current = s.deployments.at(-1);
        const target = input.versions.find((v) => v.percentage === 100);
        // Error 10220: a secret changed after the target version (a secret change makes a version of its own).
        const targetIndex = target ? s.versions.findIndex((v) => v.id === target.version_id) : -1;
        const changed = s.versions
          .slice(targetIndex + 1)
          .filter((v) => targetIndex >= 0 && v.annotations["workers/triggered_by"] === "secret")
          .flatMap((v) => v.resources.bindings.filter((b) => b.type === "secret_text").map((b) => String(b.name)));
        const isRollbackToOlder =
          target && current && !current.versions.some((v) => v.version_id === target.version_id);
        if (changed && changed.length > 0 && isRollbackToOlder && !force) {
          return json(
            res,
            400,
            failure(
              10220,
              `Cannot rollback to a version with modified secrets. The following secrets have changed: ${changed.join(", ")} [code: 10220]`,
            ),
          );
        }
        const d = createDeployment(s, input.versions, input.annotations?.["workers/message"], "deployment");
        return json(res, 200, envelope(d));
      }
    }
    m = /^\/workers\/scripts\/([^/]+)\/script-settings$/.exec(a);
    if (m) {
      if (!scriptOr404(res, decodeURIComponent(m[1] ?? ""))) return;
      const input = method === "PATCH" ? (JSON.parse(rec.body || "{}") as Record<string, unknown>) : {};
      return json(res, 200, envelope({ logpush: false, tail_consumers: null, observability: null, ...input }));
    }
    m = /^\/workers\/scripts\/([^/]+)\/settings$/.exec(a);
    if (m && method === "GET") {
      // Wrangler reads the deployed bindings here to decide which resources need provisioning.
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      const latest = s.versions.at(-1);
      return json(
        res,
        200,
        envelope({
          bindings: latest?.resources.bindings ?? [],
          compatibility_date: latest?.resources.script_runtime.compatibility_date,
          compatibility_flags: latest?.resources.script_runtime.compatibility_flags ?? [],
          logpush: false,
          placement: {},
          tail_consumers: null,
          usage_model: "standard",
        }),
      );
    }
    m = /^\/workers\/scripts\/([^/]+)\/subdomain$/.exec(a);
    if (m) {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      if (method === "POST") {
        const input = JSON.parse(rec.body || "{}") as { enabled?: boolean; previews_enabled?: boolean };
        s.workersDev = input.enabled ?? s.workersDev;
        s.previewsEnabled = input.previews_enabled ?? s.previewsEnabled;
      }
      return json(res, 200, envelope({ enabled: s.workersDev, previews_enabled: s.previewsEnabled }));
    }
    // wrangler 4.164 reads a Worker's workers.dev state from the Workers resource, not …/subdomain.
    m = /^\/workers\/workers\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const name = decodeURIComponent(m[1] ?? "");
      const s = scriptOr404(res, name);
      if (!s) return;
      return json(
        res,
        200,
        envelope({ id: name, name, subdomain: { enabled: s.workersDev, previews_enabled: s.previewsEnabled } }),
      );
    }
    m = /^\/workers\/scripts\/([^/]+)\/schedules$/.exec(a);
    if (m && method === "PUT") {
      const s = scriptOr404(res, decodeURIComponent(m[1] ?? ""));
      if (!s) return;
      s.crons = (JSON.parse(rec.body || "[]") as { cron: string }[]).map((c) => c.cron);
      return json(res, 200, envelope({ schedules: s.crons.map((cron) => ({ cron })) }));
    }
    if (a === "/workers/subdomain" && method === "GET") return json(res, 200, envelope({ subdomain: state.subdomain }));
    if (a === "/workers/durable_objects/namespaces" && method === "GET") {
      const { items, info } = paged(rec, state.durableObjectNamespaces);
      return json(res, 200, envelope(items, { result_info: info }));
    }
    if (a === "/workers/dispatch/namespaces" && method === "GET") {
      const list = [...state.dispatchNamespaces.keys()].map((n) => ({ namespace_id: n, namespace_name: n }));
      return json(res, 200, envelope(list));
    }
    m = /^\/workers\/dispatch\/namespaces\/([^/]+)\/scripts\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const ns = state.dispatchNamespaces.get(decodeURIComponent(m[1] ?? ""));
      const name = decodeURIComponent(m[2] ?? "");
      if (!ns?.has(name))
        return json(res, 404, failure(10007, "This Worker does not exist on your account. [code: 10007]"));
      return json(res, 200, envelope({ script: { id: name } }));
    }

    // Queues.
    if (a === "/queues" && method === "GET") {
      const names = rec.query.name ?? [];
      const list = [...state.queues.values()].filter((q) => names.length === 0 || names.includes(q.queue_name));
      const { items, info } = paged(rec, list);
      return json(res, 200, envelope(items, { result_info: info }));
    }
    m = /^\/queues\/([^/]+)\/consumers$/.exec(a);
    if (m && method === "GET") {
      const id = m[1] ?? "";
      const q = [...state.queues.values()].find((x) => x.queue_id === id);
      if (!q) return json(res, 404, failure(11000, "Queue does not exist [code: 11000]"));
      const list = (state.queueConsumers.get(id) ?? []).map((c, i) => ({
        consumer_id: `${id}-${i}`,
        type: c.type,
        queue_name: q.queue_name,
        settings: c.settings,
      }));
      return json(res, 200, envelope(list));
    }
    // Queue messages: send a batch, pull (leased), peek (not leased), ack leases.
    m = /^\/queues\/([^/]+)\/messages\/(batch|pull|peek|ack)$/.exec(a);
    if (m && method === "POST") {
      const id = m[1] ?? "";
      if (![...state.queues.values()].some((x) => x.queue_id === id))
        return json(res, 404, failure(11000, "Queue does not exist [code: 11000]"));
      const list = state.queueMessages.get(id) ?? [];
      state.queueMessages.set(id, list);
      const input = JSON.parse(rec.body || "{}") as {
        messages?: { body?: unknown; content_type?: string }[];
        batch_size?: number;
        visibility_timeout_ms?: number;
        acks?: { lease_id?: string }[];
      };
      const t = Date.now();
      const visible = list.filter((x) => !x.lease || x.lease.until <= t).slice(0, input.batch_size ?? 10);
      // The pull and peek APIs base64-encode json and bytes bodies (bytes on the wire); text comes as is.
      const wire = (x: QueueMessageRecord) =>
        x.metadata["CF-Content-Type"] === "text" ? x.body : Buffer.from(x.body, "utf8").toString("base64");
      const view = (x: QueueMessageRecord) => ({
        id: x.id,
        body: wire(x),
        attempts: x.attempts,
        timestamp_ms: x.timestamp_ms,
        metadata: x.metadata,
      });
      if (m[2] === "batch") {
        for (const msg of input.messages ?? []) {
          const type = msg.content_type ?? "json";
          const body = type === "json" ? JSON.stringify(msg.body) : String(msg.body);
          list.push({
            id: randomUUID().replaceAll("-", ""),
            body,
            attempts: 0,
            timestamp_ms: t,
            metadata: { "CF-Content-Type": type },
          });
        }
        return json(res, 200, envelope(null));
      }
      if (m[2] === "peek") return json(res, 200, envelope({ messages: visible.map(view) }));
      if (
        (m[2] === "pull" || m[2] === "ack") &&
        !(state.queueConsumers.get(id) ?? []).some((c) => c.type === "http_pull")
      ) {
        return json(res, 400, failure(11007, "This queue does not have an HTTP pull consumer [code: 11007]"));
      }
      if (m[2] === "pull") {
        for (const x of visible) {
          x.attempts++;
          x.lease = { id: `lease-${randomUUID()}`, until: t + (input.visibility_timeout_ms ?? 30_000) };
        }
        return json(
          res,
          200,
          envelope({
            message_backlog_count: list.length,
            messages: visible.map((x) => ({ ...view(x), lease_id: x.lease?.id })),
          }),
        );
      }
      const leases = new Set((input.acks ?? []).map((x) => x.lease_id));
      const kept = list.filter((x) => !(x.lease && leases.has(x.lease.id)));
      state.queueMessages.set(id, kept);
      return json(res, 200, envelope({ ackCount: list.length - kept.length, retryCount: 0, warnings: [] }));
    }
    m = /^\/queues\/([^/]+)$/.exec(a);
    if (m) {
      const q = [...state.queues.values()].find((x) => x.queue_id === m?.[1]);
      if (!q) return json(res, 404, failure(11000, "Queue does not exist [code: 11000]"));
      if (method === "PATCH") {
        const input = JSON.parse(rec.body) as { settings?: Partial<QueueRecord["settings"]> };
        q.settings = { ...q.settings, ...(input.settings ?? {}) };
        q.modified_on = now();
      }
      return json(res, 200, envelope(q));
    }

    // D1.
    m = /^\/d1\/database\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const d = d1Or404(res, decodeURIComponent(m[1] ?? ""));
      if (!d) return;
      return json(
        res,
        200,
        envelope({
          uuid: d.uuid,
          name: d.name,
          version: "production",
          num_tables: 0,
          file_size: d.db.serialize().length,
          created_at: now(),
        }),
      );
    }
    m = /^\/d1\/database\/([^/]+)\/time_travel\/bookmark$/.exec(a);
    if (m && method === "GET") {
      const d = d1Or404(res, decodeURIComponent(m[1] ?? ""));
      if (!d) return;
      const ts = rec.query.timestamp?.[0];
      if (ts === undefined) return json(res, 200, envelope({ bookmark: snapshot(d) }));
      // The nearest bookmark at or before the timestamp.
      const at = Date.parse(ts);
      const hit = [...d.history].reverse().find((h) => h.at <= at);
      if (!hit) return json(res, 400, failure(7500, `No bookmark at or before ${ts} [code: 7500]`));
      return json(res, 200, envelope({ bookmark: hit.bookmark }));
    }
    m = /^\/d1\/database\/([^/]+)\/time_travel\/restore$/.exec(a);
    if (m && method === "POST") {
      const d = d1Or404(res, decodeURIComponent(m[1] ?? ""));
      if (!d) return;
      const bookmark = rec.query.bookmark?.[0] ?? "";
      const bytes = d.bookmarks.get(bookmark);
      if (!bytes) return json(res, 400, failure(7500, `Invalid bookmark ${bookmark} [code: 7500]`));
      const previous = snapshot(d);
      d.db.close();
      d.db = new Database(bytes);
      d.restores.push({ bookmark, previous });
      return json(
        res,
        200,
        envelope({ bookmark, previous_bookmark: previous, message: "Database restored successfully" }),
      );
    }
    m = /^\/d1\/database\/([^/]+)\/query$/.exec(a);
    if (m && method === "POST") {
      const d = d1Or404(res, decodeURIComponent(m[1] ?? ""));
      if (!d) return;
      const input = JSON.parse(rec.body) as { sql: string; params?: unknown[] };
      try {
        return json(res, 200, envelope(runD1(d, input.sql, input.params ?? [])));
      } catch (err) {
        return json(res, 400, failure(7500, `${(err as Error).message}: SQLITE_ERROR [code: 7500]`));
      }
    }

    // KV and R2 existence.
    m = /^\/storage\/kv\/namespaces\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const id = m[1] ?? "";
      if (!state.kvNamespaces.has(id)) return json(res, 404, failure(10013, "namespace not found [code: 10013]"));
      return json(res, 200, envelope({ id, title: id, supports_url_encoding: true }));
    }
    m = /^\/r2\/buckets\/([^/]+)$/.exec(a);
    if (m && method === "GET") {
      const name = decodeURIComponent(m[1] ?? "");
      // A bucket lives in one jurisdiction; without the header, the API looks in the default one only.
      const header = req.headers["cf-r2-jurisdiction"];
      const jurisdiction = typeof header === "string" ? header : "default";
      if (!state.r2Buckets.has(`${jurisdiction}:${name}`)) {
        return json(res, 404, failure(10006, "The specified bucket does not exist. [code: 10006]"));
      }
      return json(res, 200, envelope({ name, creation_date: now(), location: "WEUR", jurisdiction }));
    }
    // KV.
    m = /^\/storage\/kv\/namespaces\/([^/]+)\/values\/(.+)$/.exec(a);
    if (m) {
      const ns = state.kv.get(m[1] ?? "") ?? new Map<string, string>();
      state.kv.set(m[1] ?? "", ns);
      const key = decodeURIComponent(m[2] ?? "");
      if (method === "PUT") {
        const isForm = (req.headers["content-type"] ?? "").startsWith("multipart/form-data");
        if (!isForm) {
          ns.set(key, rec.body);
          return json(res, 200, envelope({}));
        }
        const form = await formOf(req, raw);
        const value = form.get("value");
        const metadata = form.get("metadata");
        ns.set(key, typeof value === "string" ? value : await (value as Blob).text());
        const kvMeta = state.kvMetadata.get(m[1] ?? "") ?? new Map<string, unknown>();
        state.kvMetadata.set(m[1] ?? "", kvMeta);
        if (typeof metadata === "string") kvMeta.set(key, JSON.parse(metadata));
        return json(res, 200, envelope({}));
      }
      if (method === "GET") {
        const v = ns.get(key);
        if (v === undefined) return json(res, 404, failure(10009, "get: 'key not found'"));
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(v);
        return;
      }
    }
    m = /^\/storage\/kv\/namespaces\/([^/]+)\/keys$/.exec(a);
    if (m && method === "GET") {
      const ns = state.kv.get(m[1] ?? "") ?? new Map<string, string>();
      const prefix = rec.query.prefix?.[0] ?? "";
      const meta = state.kvMetadata.get(m[1] ?? "");
      const all = [...ns.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((name) => (meta?.has(name) ? { name, metadata: meta.get(name) } : { name }));
      // Cursor pagination: `limit` keys per call, and a cursor while more remain.
      const start = Number(rec.query.cursor?.[0] ?? 0);
      const limit = Number(rec.query.limit?.[0] ?? state.defaultPerPage);
      const keys = all.slice(start, start + limit);
      const cursor = start + limit < all.length ? String(start + limit) : "";
      return json(res, 200, envelope(keys, { result_info: { count: keys.length, cursor } }));
    }
    return false;
  };

  /** Validates what the fake answers against the schema, by reading the body as it is sent. */
  const checkResponseOf = (res: ServerResponse, op: MatchedOperation, query: Record<string, string[]>) => {
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      const type = String(res.getHeader("content-type") ?? "");
      if (type.startsWith("application/json") && chunk !== undefined) {
        try {
          violations.push(...checkResponse(op, res.statusCode, JSON.parse(String(chunk)), query));
        } catch {
          violations.push(`${op.key}: response is not JSON`);
        }
      }
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
  };

  /** Cloudflare's refusals before any work: a hung socket, the rate-limit lock-out, injected 5xx, a missing scope. */
  const refused = async (
    req: IncomingMessage,
    res: ServerResponse,
    rec: RecordedRequest,
    op: MatchedOperation | undefined,
  ): Promise<boolean> => {
    if (!rec.path.startsWith("/client/v4")) return false;
    if (state.hang?.(rec)) return true;
    const t = clock.now();
    if (t < state.rateLimitedUntil) {
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(Math.ceil((state.rateLimitedUntil - t) / 1000)),
      });
      res.end(JSON.stringify(failure(971, "Please wait and consider throttling your request speed [code: 971]")));
      return true;
    }
    const f = state.failures.find((x) => x.times > 0 && x.match(rec));
    if (f) {
      f.times--;
      if (f.status === 429) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": String(f.retryAfter ?? 1) });
        res.end(JSON.stringify(failure(971, "Please wait and consider throttling your request speed [code: 971]")));
      } else if (f.status === 403) json(res, 403, failure(10000, "Authentication error [code: 10000]"));
      else json(res, f.status, failure(10013, "An unknown error has occurred [code: 10013]"));
      return true;
    }
    const needed = op?.op.permission;
    if (needed && state.tokenPermissions && !state.tokenPermissions.has(needed)) {
      json(res, 403, failure(10000, "Authentication error [code: 10000]"));
      return true;
    }
    void req;
    return false;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = await readBody(req);
      const query: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) {
        const list = query[k] ?? [];
        list.push(v);
        query[k] = list;
      }
      const isMultipart = (req.headers["content-type"] ?? "").startsWith("multipart/");
      const rec: RecordedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query,
        body: isMultipart ? "<multipart>" : raw.toString("utf8"),
        authorization: req.headers.authorization,
        headers: {
          ...(typeof req.headers["cf-r2-jurisdiction"] === "string"
            ? { "cf-r2-jurisdiction": req.headers["cf-r2-jurisdiction"] }
            : {}),
          ...(req.headers["user-agent"] ? { "user-agent": req.headers["user-agent"] } : {}),
        },
      };
      requests.push(rec);
      const op = rec.path.startsWith("/client/v4")
        ? matchOperation(rec.method, rec.path.slice("/client/v4".length))
        : undefined;
      if (op) {
        violations.push(
          ...checkRequest(op, {
            query,
            headers: req.headers,
            body: rec.body,
            contentType: req.headers["content-type"] ?? "",
          }),
        );
        checkResponseOf(res, op, query);
      }
      if (await refused(req, res, rec, op)) return;
      try {
        const handled = await route(req, res, rec, raw);
        if (handled === false) {
          unknown.push(rec);
          json(res, 404, failure(7003, `No route for that URI [code: 7003] (${rec.method} ${rec.path})`));
        }
      } catch (err) {
        json(res, 500, failure(10000, `contract server error: ${(err as Error).message}`));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    violations,
    apiBaseUrl: `http://127.0.0.1:${port}/client/v4`,
    workerUrl: `http://127.0.0.1:${port}`,
    state,
    requests,
    unknown,
    addScript,
    seedVersion(script, annotations = {}, bindings = []) {
      const s = state.scripts.get(script) ?? addScript(script);
      return createVersion(s, annotations, bindings);
    },
    seedDeployment(script, versions, message) {
      const s = state.scripts.get(script) ?? addScript(script);
      createDeployment(s, versions, message, "deployment");
    },
    addQueue,
    addD1,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const d of state.d1.values()) d.db.close();
        state.hang = undefined;
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
