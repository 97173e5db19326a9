import { readFileSync } from "node:fs";
import {
  buildSchema,
  type DocumentNode,
  executeSync,
  GraphQLError,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  validate,
  valueFromASTUntyped,
} from "graphql";

/**
 * Cloudflare's custom scalars, as its API reads and writes them: `Time` is RFC 3339, `Date` is YYYY-MM-DD, the
 * integer types are non-negative JSON numbers, `string` is a string. A value of the wrong kind fails, both in a
 * query (argument literals and variables) and in an answer the fake gives.
 */
const SCALAR_CHECKS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  bytes: (v) => typeof v === "string",
  Time: (v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v),
  Date: (v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v),
  uint8: (v) => Number.isInteger(v) && (v as number) >= 0,
  uint32: (v) => Number.isInteger(v) && (v as number) >= 0,
  uint64: (v) => Number.isInteger(v) && (v as number) >= 0,
  float32: (v) => typeof v === "number" && Number.isFinite(v),
  float64: (v) => typeof v === "number" && Number.isFinite(v),
};

function loadSchema(): GraphQLSchema {
  const schema = buildSchema(readFileSync(new URL("./cloudflare-graphql.subset.graphql", import.meta.url), "utf8"));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isScalarType(type) || type.name.startsWith("__")) continue;
    const check = SCALAR_CHECKS[type.name];
    if (!check) continue;
    const strict = (v: unknown) => {
      if (!check(v)) throw new GraphQLError(`${JSON.stringify(v)} is not a Cloudflare ${type.name}`);
      return v;
    };
    // buildSchema's custom scalars accept anything; these follow Cloudflare's.
    type.serialize = strict;
    type.parseValue = strict;
    type.parseLiteral = (node, variables) => strict(valueFromASTUntyped(node, variables));
  }
  return schema;
}

let cached: GraphQLSchema | undefined;
/** The vendored subset of Cloudflare's GraphQL Analytics schema, with its scalars enforced. */
export function cloudflareGraphqlSchema(): GraphQLSchema {
  cached ??= loadSchema();
  return cached;
}

/** Fields an answer holds that its type does not define (the executor would drop them silently). */
function unknownFields(type: GraphQLOutputType, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (isNonNullType(type)) return unknownFields(type.ofType, value, path);
  if (isListType(type)) {
    return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(type.ofType, v, `${path}[${i}]`)) : [];
  }
  const named = getNamedType(type);
  if (isLeafType(named) || !isObjectType(named) || typeof value !== "object") return [];
  const fields = named.getFields();
  return Object.entries(value).flatMap(([k, v]) => {
    const f = fields[k];
    return f ? unknownFields(f.type, v, `${path}.${k}`) : [`${path}.${k} is not a field of ${named.name}`];
  });
}

/**
 * What is wrong with one GraphQL call against Cloudflare's schema: the query (fields, arguments, their types), the
 * variables it is sent with, and the answer (every field exists, non-null fields are there, scalars have the right
 * kind). An answer carrying `errors` (Cloudflare's refusal) is checked for its query and variables only.
 *
 * @example
 * const problems = checkGraphql(query, variables, { data: { viewer: { accounts: [] } } });
 */
export function checkGraphql(query: string, variables: Record<string, unknown>, answer: unknown): string[] {
  const schema = cloudflareGraphqlSchema();
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    return [`graphql: ${(err as Error).message}`];
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return invalid.map((e) => `graphql: ${e.message}`);
  const body = (answer ?? {}) as { data?: unknown; errors?: unknown };
  const refused = Array.isArray(body.errors) && body.errors.length > 0;
  const result = executeSync({ schema, document, variableValues: variables, rootValue: refused ? {} : body.data });
  const errors = (result.errors ?? []).filter((e) => !refused || e.path === undefined);
  const problems = errors.map((e) => `graphql${e.path ? ` answer at ${e.path.join(".")}` : ""}: ${e.message}`);
  const query_ = schema.getQueryType();
  if (!refused && query_) problems.push(...unknownFields(query_, body.data, "graphql answer data"));
  return problems;
}

/**
 * Cloudflare's answer for a window without data: one account whose every dataset the query selects is an empty
 * list (those fields are non-null lists in the schema).
 *
 * @example
 * api.state.graphql = (query) => emptyGraphqlAnswer(query);
 */
export function emptyGraphqlAnswer(query: string): { data: unknown; errors: null } {
  const accounts = /accounts\s*\([^)]*\)\s*\{([\s\S]*)\}/.exec(query)?.[1] ?? "";
  const datasets = [...accounts.matchAll(/^\s*(\w+)\s*\(/gm)].map((m) => m[1] ?? "");
  return { data: { viewer: { accounts: [Object.fromEntries(datasets.map((d) => [d, []]))] } }, errors: null };
}
