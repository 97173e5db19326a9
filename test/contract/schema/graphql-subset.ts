import { readFileSync, writeFileSync } from "node:fs";
import {
  buildSchema,
  type GraphQLField,
  type GraphQLNamedType,
  GraphQLObjectType,
  getNamedType,
  isInputObjectType,
  isObjectType,
  isSpecifiedScalarType,
  printType,
} from "graphql";

/** The account-level datasets the Cloudflare target queries (src/platform/cloudflare/metrics.ts). */
export const ACCOUNT_DATASETS = [
  "workersInvocationsAdaptive",
  "queueMessageOperationsAdaptiveGroups",
  "queueBacklogAdaptiveGroups",
  "durableObjectsInvocationsAdaptiveGroups",
] as const;

export interface GraphqlSubsetOptions {
  /** Fields kept on `account` (besides `accountTag`); everything they reach is kept whole. */
  datasets?: readonly string[];
}

/** Every named type reached from `roots` through fields, arguments and input fields, transitively. */
function reachable(roots: readonly GraphQLNamedType[]): Map<string, GraphQLNamedType> {
  const seen = new Map<string, GraphQLNamedType>();
  const visit = (t: GraphQLNamedType) => {
    if (seen.has(t.name)) return;
    seen.set(t.name, t);
    if (isObjectType(t)) {
      for (const f of Object.values(t.getFields())) {
        visit(getNamedType(f.type));
        for (const a of f.args) visit(getNamedType(a.type));
      }
    } else if (isInputObjectType(t)) {
      for (const f of Object.values(t.getFields())) visit(getNamedType(f.type));
    }
  };
  for (const t of roots) visit(t);
  return seen;
}

/**
 * Cuts Cloudflare's GraphQL schema (SDL from an introspection) down to `Query.viewer.accounts` and the datasets
 * blastwall reads. Types below those datasets are kept whole, so any field or argument Cloudflare offers there
 * validates, and any it does not offer fails.
 *
 * @example
 * const sdl = graphqlSubset(readFileSync("schema.graphql", "utf8"));
 */
export function graphqlSubset(fullSdl: string, { datasets = ACCOUNT_DATASETS }: GraphqlSubsetOptions = {}): string {
  const full = buildSchema(fullSdl, { assumeValidSDL: true });
  const account = full.getType("account");
  const viewer = full.getType("viewer");
  if (!isObjectType(account) || !isObjectType(viewer)) throw new Error("not Cloudflare's schema: no account/viewer");
  const accountFields = account.getFields();
  const missing = datasets.filter((d) => !(d in accountFields));
  if (missing.length > 0) throw new Error(`the schema has no account field ${missing.join(", ")}`);
  const keptFields = ["accountTag", ...datasets].flatMap((d) => {
    const f = accountFields[d];
    return f ? [f] : [];
  });
  const accountsField = viewer.getFields().accounts;
  if (!accountsField) throw new Error("not Cloudflare's schema: no viewer.accounts");
  const query = full.getQueryType();
  if (!query) throw new Error("not Cloudflare's schema: no Query");
  const roots = [...keptFields, accountsField].flatMap((f: GraphQLField<unknown, unknown>) => [
    ...(f === accountsField ? [] : [getNamedType(f.type)]),
    ...f.args.map((a) => getNamedType(a.type)),
  ]);
  const types = reachable(roots);
  // Printed one by one: the three roots keep only the fields blastwall uses (a new schema would hold two "account"s).
  const pick = (o: GraphQLObjectType, names: readonly string[]) => {
    const config = o.toConfig();
    return new GraphQLObjectType({
      ...config,
      fields: Object.fromEntries(names.flatMap((n) => (config.fields[n] ? [[n, config.fields[n]]] : []))),
    });
  };
  types.set("Query", pick(query, ["viewer"]));
  types.set("viewer", pick(viewer, ["accounts"]));
  types.set("account", pick(account, ["accountTag", ...datasets]));
  const sdl = [...types.values()]
    .filter((t) => !isSpecifiedScalarType(t))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(printType)
    .join("\n\n");
  buildSchema(sdl); // throws when the cut left a dangling type
  return sdl;
}

/** `tsx test/contract/schema/graphql-subset.ts <full schema.graphql> <out> <header file>` */
if (process.argv[1]?.endsWith("graphql-subset.ts") && process.argv.length === 5) {
  const [, , input, output, header] = process.argv as [string, string, string, string, string];
  writeFileSync(output, `${readFileSync(header, "utf8").trimEnd()}\n\n${graphqlSubset(readFileSync(input, "utf8"))}\n`);
}
