import { BlastwallError } from "../../core/errors.js";
import type { AnalysisRecord, ReplayOptions, SplitEntry, UploadVersionOptions } from "../platform.js";

/** Input checks for the control API's bodies and queries: each returns a typed value or throws a usable 400. */

type Fields = Record<string, unknown>;

function fields(value: unknown, what: string): Fields {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Fields;
  throw new BlastwallError(`${what}: the body must be a JSON object`, { fix: "send a JSON object" });
}

function optionalString(body: Fields, key: string, what: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  throw new BlastwallError(`${what}: "${key}" must be a string, got ${typeof v}`, { fix: `send "${key}" as a string` });
}

function optionalNumber(body: Fields, key: string): number | undefined {
  const v = body[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function stringRecord(body: Fields, key: string, what: string): Record<string, string> | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  const record = fields(v, `${what}: "${key}"`);
  for (const [k, x] of Object.entries(record)) {
    if (typeof x !== "string") {
      throw new BlastwallError(`${what}: "${key}.${k}" must be a string`, { fix: `send "${key}" as string values` });
    }
  }
  return record as Record<string, string>;
}

/** `POST /workers/<w>/versions`. */
export function uploadInput(value: unknown): Omit<UploadVersionOptions, "worker"> {
  const what = "version upload";
  const body = fields(value, what);
  const configPath = optionalString(body, "configPath", what);
  if (!configPath) throw new BlastwallError("configPath is required", { fix: "send the wrangler config path" });
  const tag = optionalString(body, "tag", what);
  const message = optionalString(body, "message", what);
  const env = optionalString(body, "env", what);
  const vars = stringRecord(body, "vars", what);
  return {
    configPath,
    ...(tag ? { tag } : {}),
    ...(message ? { message } : {}),
    ...(env ? { env } : {}),
    ...(vars ? { vars } : {}),
  };
}

/** `POST /workers/<w>/deployments`: the split's shape here; its meaning (sum, versions, classes) in the edge. */
export function deployInput(value: unknown): { versions: SplitEntry[]; message?: string } {
  const what = "deployment";
  const body = fields(value, what);
  const raw = body.versions;
  if (!Array.isArray(raw)) {
    throw new BlastwallError(`${what}: "versions" must be a list`, {
      fix: 'send { "versions": [{ "versionId", "percentage" }] }',
    });
  }
  if (raw.length < 1 || raw.length > 2) {
    throw new BlastwallError(`a deployment holds 1 or 2 versions, got ${raw.length}`, {
      fix: "deploy `<id>@100`, or `<new>@10 <old>@90`",
    });
  }
  const versions = raw.map((e, i): SplitEntry => {
    const entry = fields(e, `${what}: versions[${i}]`);
    const versionId = optionalString(entry, "versionId", what);
    const percentage = optionalNumber(entry, "percentage");
    if (!versionId || percentage === undefined) {
      throw new BlastwallError(`${what}: versions[${i}] needs a versionId and a numeric percentage`, {
        fix: 'send e.g. { "versionId": "<id>", "percentage": 10 }',
      });
    }
    return { versionId, percentage };
  });
  const message = optionalString(body, "message", what);
  return { versions, ...(message ? { message } : {}) };
}

/** `POST /workers/<w>/rollback`. */
export function rollbackInput(value: unknown): { to?: string; message?: string } {
  const body = fields(value ?? {}, "rollback");
  const to = optionalString(body, "to", "rollback");
  const message = optionalString(body, "message", "rollback");
  return { ...(to ? { to } : {}), ...(message ? { message } : {}) };
}

/** `POST /queues/<q>/messages`: `{ messages: [{ body }] }`. */
export function messagesInput(value: unknown): { messages: { body: unknown }[] } {
  const body = fields(value, "queue messages");
  if (!Array.isArray(body.messages)) {
    throw new BlastwallError('queue messages: "messages" must be a list', {
      fix: 'send { "messages": [{ "body": ... }] }',
    });
  }
  return {
    messages: body.messages.map((m, i) => ({ body: fields(m, `queue messages: messages[${i}]`).body ?? null })),
  };
}

/** `POST /queues/<q>/dlq/replay`. */
export function replayInput(value: unknown): ReplayOptions {
  const body = fields(value ?? {}, "replay");
  const limit = optionalNumber(body, "limit");
  return { dryRun: body.dryRun === true, ...(limit !== undefined ? { limit } : {}) };
}

/** `PUT /flags/<name>`. */
export function flagInput(value: unknown): { value: string; actor: string } {
  const body = fields(value, "flag");
  const v = optionalString(body, "value", "flag");
  if (v === undefined)
    throw new BlastwallError('flag: "value" is required', { fix: 'send { "value": "1", "actor": "you" }' });
  return { value: v, actor: optionalString(body, "actor", "flag") ?? "unknown" };
}

/** Bodies with optional string fields only (migrations apply, restore points, restore). */
export function stringsInput<K extends string>(...keys: K[]): (value: unknown) => Partial<Record<K, string>> {
  return (value) => {
    const body = fields(value ?? {}, "request");
    const out: Partial<Record<K, string>> = {};
    for (const k of keys) {
      const v = optionalString(body, k, "request");
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
}

/** Validates a posted analysis record; bad optional fields are dropped rather than stored as garbage. */
export function analysisInput(value: unknown): Omit<AnalysisRecord, "worker"> {
  const body = fields(value, "analysis record");
  const t = optionalNumber(body, "t");
  const verdict = typeof body.verdict === "string" ? body.verdict : undefined;
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
  const e = optionalNumber(body, "e");
  const eLatency = optionalNumber(body, "eLatency");
  const threshold = optionalNumber(body, "threshold");
  return {
    t,
    verdict,
    message: typeof body.message === "string" ? body.message : "",
    ...(e !== undefined ? { e } : {}),
    ...(eLatency !== undefined ? { eLatency } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(Object.keys(numbers).length ? { numbers } : {}),
  };
}

/** A time query parameter: ISO 8601 or epoch ms. */
export function dateParam(raw: string | undefined, name: string): Date | undefined {
  if (raw === undefined) return undefined;
  const d = new Date(/^\d+$/.test(raw) ? Number(raw) : raw);
  if (Number.isNaN(d.getTime()))
    throw new BlastwallError(`${name}=${raw} is not a date`, { fix: "send ISO 8601 or ms" });
  return d;
}

/** A comma-separated list parameter (repeatable). */
export function listParam(value: string | undefined): string[] {
  return (value ?? "").split(",").filter((v) => v !== "");
}

/** A metrics window as the query string carries it (comma-separated lists). */
export interface WindowQuery {
  since?: string;
  until?: string;
  slowerThanMs?: string;
  queues?: string;
  durableObjects?: string;
}

/** Checks a window query at the boundary: dates parse, lists are lists; the strings pass on unchanged. */
export function windowQueryInput(query: Record<string, string[]>): WindowQuery {
  const out: WindowQuery = {};
  for (const key of ["since", "until", "slowerThanMs", "queues", "durableObjects"] as const) {
    const values = query[key];
    if (values?.length) out[key] = values.join(",");
  }
  windowOf(out);
  return out;
}

/** The metrics window of a query: `since` (default: 5 minutes ago), `until`, `slowerThanMs`. */
export function windowOf(query: WindowQuery): { since: Date; until?: Date; slowerThanMs: number[] } {
  const since = dateParam(query.since, "since") ?? new Date(Date.now() - 5 * 60_000);
  const until = dateParam(query.until, "until");
  const slowerThanMs = listParam(query.slowerThanMs).map(Number).filter(Number.isFinite);
  return { since, ...(until ? { until } : {}), slowerThanMs };
}
