import { readFileSync } from "node:fs";

/**
 * Checks requests and responses of the loopback fake against the vendored subset of Cloudflare's OpenAPI schema
 * (cloudflare-api.subset.json). The fake and the platform were once written from the same understanding; this puts a
 * third party, Cloudflare's own schema, between them.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  maxLength?: number;
  maximum?: number;
  $ref?: string;
}

export interface Operation {
  permission: string | null;
  params?: Record<string, JsonSchema>;
  query?: Record<string, JsonSchema>;
  headers?: Record<string, JsonSchema>;
  body?: JsonSchema;
  result?: JsonSchema;
  raw?: boolean;
  multipart?: boolean;
  graphql?: boolean;
  shortItemsUnless?: string;
}

interface SchemaFile {
  definitions: Record<string, JsonSchema>;
  operations: Record<string, Operation>;
}

const file = JSON.parse(
  readFileSync(new URL("./cloudflare-api.subset.json", import.meta.url), "utf8"),
) as SchemaFile & { definitions: Record<string, JsonSchema & Record<string, JsonSchema>> };

const compiled = Object.entries(file.operations).map(([key, op]) => {
  const [method, template] = key.split(" ") as [string, string];
  const names: string[] = [];
  const re = new RegExp(
    `^${template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return { key, method, re, names, op };
});

export interface MatchedOperation {
  key: string;
  op: Operation;
  params: Record<string, string>;
}

/** The operation a request is for (path below /client/v4), or undefined when the schema subset does not have it. */
export function matchOperation(method: string, path: string): MatchedOperation | undefined {
  for (const c of compiled) {
    if (c.method !== method) continue;
    const m = c.re.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? "")]));
    return { key: c.key, op: c.op, params };
  }
  return undefined;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** A small JSON Schema subset: type, enum, pattern, maxLength, maximum, properties, required, items, anyOf, $ref. */
export function validate(schema: JsonSchema, v: unknown, at = "$"): string[] {
  if (schema.$ref) {
    const def = file.definitions[schema.$ref];
    return def ? validate(def, v, at) : [`${at}: unknown $ref ${schema.$ref}`];
  }
  if (schema.anyOf) {
    const all = schema.anyOf.map((s) => validate(s, v, at));
    return all.some((e) => e.length === 0)
      ? []
      : [`${at}: matches none of anyOf (${all.map((e) => e[0]).join(" | ")})`];
  }
  const errors: string[] = [];
  if (schema.enum && !schema.enum.includes(v))
    return [`${at}: ${JSON.stringify(v)} not in ${JSON.stringify(schema.enum)}`];
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === "integer" && types.includes("number")))
      return [`${at}: expected ${types.join("|")}, got ${t}`];
  }
  if (typeof v === "string") {
    if (schema.pattern && !new RegExp(schema.pattern).test(v))
      errors.push(`${at}: "${v}" does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && v.length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof v === "number" && schema.maximum !== undefined && v > schema.maximum)
    errors.push(`${at}: ${v} > ${schema.maximum}`);
  if (Array.isArray(v) && schema.items) {
    for (const [i, x] of v.entries()) errors.push(...validate(schema.items ?? {}, x, `${at}[${i}]`));
  }
  if (typeOf(v) === "object" && (schema.properties || schema.required || schema.additionalProperties !== undefined)) {
    const o = v as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) errors.push(`${at}: missing required "${r}"`);
    for (const [k, x] of Object.entries(o)) {
      const p = schema.properties?.[k];
      if (p) errors.push(...validate(p, x, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: "${k}" is not in the schema`);
      else if (typeof schema.additionalProperties === "object")
        errors.push(...validate(schema.additionalProperties, x, `${at}.${k}`));
    }
  }
  return errors;
}

export interface RequestToCheck {
  query: Record<string, string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  contentType: string;
}

/** Problems with one request: unknown query keys, bad path parameters, headers or body. */
export function checkRequest({ key, op, params }: MatchedOperation, req: RequestToCheck): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const s = op.params?.[name] ?? (name === "account_id" ? { $ref: "accountId" } : undefined);
    if (s) errors.push(...validate(s, value, `path.${name}`));
  }
  for (const [name, values] of Object.entries(req.query)) {
    const s = op.query?.[name];
    if (!s) errors.push(`query "${name}" is not a parameter of ${key}`);
    else for (const v of values) errors.push(...validate(s, v, `query.${name}`));
  }
  for (const [name, s] of Object.entries(op.headers ?? {})) {
    const h = req.headers[name];
    if (typeof h === "string") errors.push(...validate(s, h, `header.${name}`));
  }
  if (op.body && !op.multipart) {
    try {
      errors.push(...validate(op.body, JSON.parse(req.body || "null"), "body"));
    } catch {
      errors.push(`body is not JSON: ${req.body.slice(0, 80)}`);
    }
  }
  if (op.multipart && !req.contentType.startsWith("multipart/form-data") && !op.raw) {
    if (!(key.startsWith("PUT") && req.contentType !== ""))
      errors.push(`${key} expects multipart/form-data, got "${req.contentType}"`);
  }
  return errors.map((e) => `${key}: request ${e}`);
}

const ERROR_ENVELOPE: JsonSchema = {
  type: "object",
  required: ["success", "errors"],
  properties: {
    success: { enum: [false] },
    errors: {
      type: "array",
      items: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "integer" }, message: { type: "string" } },
      },
    },
  },
};

/** Problems with one response: the envelope, the result's shape, and short list items where the API sends them. */
export function checkResponse(
  { key, op }: MatchedOperation,
  status: number,
  body: unknown,
  query: Record<string, string[]>,
): string[] {
  if (op.raw && status < 400) return [];
  if (op.graphql) return [];
  if (status >= 400) return validate(ERROR_ENVELOPE, body, "response").map((e) => `${key}: ${status} ${e}`);
  const envelope = body as { success?: unknown; result?: unknown };
  const errors: string[] = [];
  if (envelope?.success !== true) errors.push(`response ${status} without success: true`);
  if (op.result) errors.push(...validate(op.result, envelope.result, "result"));
  if (op.shortItemsUnless && query[op.shortItemsUnless]?.[0] !== "true") {
    const items = (envelope.result as { items?: unknown[] } | undefined)?.items ?? [];
    for (const [i, x] of items.entries()) errors.push(...validate({ $ref: "versionShort" }, x, `result.items[${i}]`));
  }
  return errors.map((e) => `${key}: ${e}`);
}

/** The permission group each operation needs, for the fake's 403s and for `doctor`'s table. */
export function permissionOf(m: MatchedOperation): string | null {
  return m.op.permission;
}
