import { readFileSync } from "node:fs";
import { buildSchema, printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import {
  DURABLE_OBJECTS_QUERY,
  INVOCATIONS_QUERY,
  QUEUE_BACKLOG_QUERY,
  QUEUE_DLQ_QUERY,
} from "../../../src/platform/cloudflare/metrics.js";
import { checkGraphql } from "./graphql.js";
import { ACCOUNT_DATASETS, graphqlSubset } from "./graphql-subset.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
const t = "2026-11-26T10:00:00Z";
const vars = { accountTag: "0123456789abcdef0123456789abcdef", since: t, until: "2026-11-26T10:01:00Z" };

/** Every query the Cloudflare target sends, with the variables it sends and a recorded answer shape. */
const QUERIES: [string, string, Record<string, unknown>, string][] = [
  ["workers invocations", INVOCATIONS_QUERY, { ...vars, scriptName: "shop-api" }, "graphql-workers-invocations.json"],
  ["queue DLQ operations", QUEUE_DLQ_QUERY, { ...vars, queueId: "q1" }, "graphql-queue-dlq.json"],
  [
    "Durable Object invocations",
    DURABLE_OBJECTS_QUERY,
    { ...vars, namespaceIds: ["ns1"] },
    "graphql-durable-objects.json",
  ],
  ["queue backlog", QUEUE_BACKLOG_QUERY, { ...vars, queueId: "q1" }, "graphql-queue-backlog.json"],
];

describe("GraphQL queries against Cloudflare's recorded schema", () => {
  it.each(QUERIES)("%s: query, variables and recorded answer are valid", (_, query, variables, answer) => {
    expect(checkGraphql(query, variables, fixture(answer))).toEqual([]);
  });

  it("fails a misspelt field, a misspelt argument, a wrong variable type and a bad answer", () => {
    const [, query, variables, answer] = QUERIES[0] ?? ["", "", {}, ""];
    const ok = fixture(answer);
    expect(checkGraphql(query.replace("scriptVersion", "scriptVerison"), variables, ok).join()).toMatch(
      /Cannot query field "scriptVerison"/,
    );
    expect(checkGraphql(query.replace("datetime_lt", "datetime_before"), variables, ok).join()).toMatch(
      /datetime_before/,
    );
    expect(checkGraphql(query.replace("limit: 10000", "first: 10000"), variables, ok).join()).toMatch(/first/);
    expect(checkGraphql(query, { ...variables, since: "yesterday" }, ok).join()).toMatch(/not a Cloudflare Time/);
    const bad = { data: { viewer: { accounts: [{ workersInvocationsAdaptive: [{ sum: { requests: "12" } }] }] } } };
    expect(checkGraphql(query, variables, bad).join()).toMatch(/"12" is not a Cloudflare uint64/);
    const extra = { data: { viewer: { accounts: [{ workersInvocationsAdaptive: [{ sum: { requestz: 1 } }] }] } } };
    expect(checkGraphql(query, variables, extra).join()).toMatch(/requestz is not a field/);
  });

  it("the cut keeps exactly the datasets blastwall reads, and refuses a schema without them", () => {
    const sdl = readFileSync(new URL("./cloudflare-graphql.subset.graphql", import.meta.url), "utf8");
    const account = /type account \{([^}]*)\}/.exec(sdl)?.[1] ?? "";
    for (const d of ACCOUNT_DATASETS) expect(account).toContain(`${d}(`);
    // Re-cutting the subset is idempotent: the vendored file is a fixed point of the tool that made it.
    // (Compared as parsed schemas: the formatter may restyle descriptions in the vendored file.)
    const printed = (text: string) => printSchema(buildSchema(text));
    expect(printed(graphqlSubset(sdl))).toBe(printed(sdl));
    expect(() => graphqlSubset(sdl, { datasets: ["workersInvocationsAdaptiveX"] })).toThrow(/no account field/);
  });
});
