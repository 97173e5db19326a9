import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflarePlatform } from "../../src/platform/cloudflare/index.js";
import { type ContractServer, fixture, startCloudflareApiServer } from "./cloudflare-api-server.js";
import { analyticsAnswer } from "./schema/analytics-engine.js";
import { emptyGraphqlAnswer } from "./schema/graphql.js";

/**
 * Contract tests for the metric reads: the GraphQL Analytics API and the Analytics Engine SQL API, checked against
 * recorded response shapes in test/contract/fixtures (written from Cloudflare's documented examples).
 */

const STABLE = "11111111-1111-4111-8111-111111111111";
const CANARY = "22222222-2222-4222-8222-222222222222";
const TOKEN = "cf-test-token-metrics-0123456789";

let api: ContractServer;
const graphqlCalls: { query: string; variables: Record<string, unknown> }[] = [];
const sqlCalls: string[] = [];

beforeAll(async () => {
  api = await startCloudflareApiServer();
  api.addScript("shop-api");
  api.seedDeployment("shop-api", [
    { version_id: CANARY, percentage: 10 },
    { version_id: STABLE, percentage: 90 },
  ]);
  const queue = api.addQueue("order-events");
  const dlq = api.addQueue("order-events-dlq");
  api.state.durableObjectNamespaces.push(
    { id: "ns-cart", name: "shop-api_Cart", script: "shop-api", class: "Cart", use_sqlite: true },
    { id: "ns-other", name: "other_Cart", script: "other-worker", class: "Cart", use_sqlite: true },
  );
  api.state.graphql = (query, variables) => {
    graphqlCalls.push({ query, variables });
    if (query.includes("workersInvocationsAdaptive")) return fixture("graphql-workers-invocations.json");
    if (query.includes("queueMessageOperationsAdaptiveGroups")) {
      return JSON.parse(JSON.stringify(fixture("graphql-queue-dlq.json")).replace("QUEUE_ID", queue.queue_id));
    }
    if (query.includes("queueBacklogAdaptiveGroups")) {
      // The source queue has a backlog sample; the DLQ's window is empty.
      return variables.queueId === dlq.queue_id ? emptyGraphqlAnswer(query) : fixture("graphql-queue-backlog.json");
    }
    if (query.includes("durableObjectsInvocationsAdaptiveGroups")) {
      return JSON.parse(JSON.stringify(fixture("graphql-durable-objects.json")).replaceAll("NAMESPACE_ID", "ns-cart"));
    }
    return emptyGraphqlAnswer(query);
  };
  api.state.analyticsEngineSql = (sql) => {
    sqlCalls.push(sql);
    return sql.includes("double3 >")
      ? fixture("analytics-engine-slower.json")
      : fixture("analytics-engine-telemetry.json");
  };
});

afterAll(async () => {
  await api?.close();
});

function platform() {
  return createCloudflarePlatform({
    projectDir: new URL("../../examples/shop", import.meta.url).pathname,
    telemetryDataset: "shop_telemetry",
    processEnv: {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_ACCOUNT_ID: api.state.accountId,
      CLOUDFLARE_API_BASE_URL: api.apiBaseUrl,
    },
  });
}

const since = new Date("2026-11-26T10:00:00Z");
const until = new Date("2026-11-26T10:05:00Z");

describe("metrics contract test (GraphQL + Analytics Engine SQL, recorded shapes)", () => {
  it("reads HTTP status classes and latency from telemetry, exceptions and CPU from GraphQL, by version", async () => {
    const metrics = await platform().metrics({ worker: "shop-api", since, until, slowerThanMs: [250] });
    expect(metrics.map((m) => m.versionId)).toEqual([CANARY, STABLE]);
    const [canary, stable] = metrics;
    expect(canary).toMatchObject({
      requests: 946,
      status: { "2xx": 900, "3xx": 5, "4xx": 0, "5xx": 41 },
      // The 41 thrown requests are the 41 5xx telemetry recorded: errors are max(5xx, exceptions) = 41, not 82.
      exceptions: 41,
      // 905 of 946 requests sit at or under 50 ms (95.7%), so p95 is 50; the 41 overflows make p99 "≥ 10 s".
      latency: { p50: 50, p90: 50, p95: 50, p99: 10000 },
      slowerThan: { "250": 44 },
    });
    expect(canary?.histogram).toEqual({ boundsMs: [5, 50, Number.POSITIVE_INFINITY], counts: [5, 900, 41] });
    // Raw sampled rows for the test (one 2xx bucket was sampled 1 in 2); the estimate is for display.
    expect(stable).toMatchObject({
      requests: 6000,
      status: { "2xx": 5800, "3xx": 0, "4xx": 182, "5xx": 18 },
      weighted: { requests: 9000, status: { "2xx": 8800, "3xx": 0, "4xx": 182, "5xx": 18 } },
      exceptions: 18,
      latency: { p50: 25, p90: 100, p95: 100, p99: 100 },
      slowerThan: { "250": 120 },
    });
    // No route label in these rows (telemetry without `routes`): the analysis compares the whole Worker.
    expect(canary?.byRoute).toBeUndefined();
  });

  it("splits each version's counts by the route label telemetry writes (blob4), with p90", async () => {
    const saved = api.state.analyticsEngineSql;
    api.state.analyticsEngineSql = (sql) =>
      sql.includes("double3 >")
        ? fixture("analytics-engine-slower-routes.json")
        : fixture("analytics-engine-telemetry-routes.json");
    try {
      const [canary, stable] = await platform().metrics({ worker: "shop-api", since, until, slowerThanMs: [250] });
      expect(canary?.byRoute).toEqual({
        "orders/:id": { requests: 440, errors: 40, slowerThan: { "250": 40 } },
        cart: { requests: 501, errors: 1, slowerThan: { "250": 4 } },
        other: { requests: 5, errors: 0, slowerThan: { "250": 0 } },
      });
      expect(stable?.byRoute).toEqual({
        "orders/:id": { requests: 2010, errors: 10, slowerThan: { "250": 50 } },
        cart: { requests: 3990, errors: 8, slowerThan: { "250": 70 } },
      });
      // The routes add up to the version: raw rows, 5xx and slower-than counts alike.
      expect(canary).toMatchObject({ requests: 946, status: { "5xx": 41 }, slowerThan: { "250": 44 } });
      expect(stable).toMatchObject({ requests: 6000, status: { "5xx": 18 }, slowerThan: { "250": 120 } });
      // 2182 of 6000 stable rows are at or under 25 ms and 5982 at or under 100 ms: p50 = p90 = 100.
      expect(stable?.latency).toMatchObject({ p50: 100, p90: 100 });
      // The canary's 41 overflow rows are 4.3% of 946: p90 stays at 50 ms, p99 is "≥ 10 s".
      expect(canary?.latency).toMatchObject({ p50: 50, p90: 50, p99: 10000 });
    } finally {
      api.state.analyticsEngineSql = saved;
    }
  });

  it("says 5xx is unknown, not 0, when GraphQL saw requests but telemetry wrote no row", async () => {
    const saved = api.state.analyticsEngineSql;
    api.state.analyticsEngineSql = (sql) => analyticsAnswer(sql, []);
    try {
      const [canary] = await platform().metrics({ worker: "shop-api", since, until });
      // GraphQL counted 1,000 canary invocations, 41 of them thrown; with no telemetry the 5xx count cannot be read.
      expect(canary).toMatchObject({ requests: 1000, exceptions: 41, statusUnknown: true });
    } finally {
      api.state.analyticsEngineSql = saved;
    }
  });

  it("reports its ingestion lag, so the release reads windows that end that long before now", async () => {
    expect(await platform().metricsIngestion()).toEqual({ lagSeconds: 60, sampled: true });
  });

  it("sends the documented query shapes: GraphQL variables and SQL over the telemetry columns", () => {
    const gql = graphqlCalls.find((c) => c.query.includes("workersInvocationsAdaptive"));
    // The window is read as asked (data time; the release ends it the ingestion lag before now).
    expect(gql?.variables).toEqual({
      accountTag: api.state.accountId,
      scriptName: "shop-api",
      since: since.toISOString(),
      until: until.toISOString(),
    });
    expect(gql?.query).toContain("datetime_geq: $since, datetime_lt: $until");
    expect(gql?.query).toMatch(/dimensions \{ scriptName scriptVersion status \}/);
    expect(gql?.query).toMatch(/quantiles \{ cpuTimeP50 cpuTimeP99 wallTimeP50 wallTimeP90 wallTimeP99 \}/);
    const sql = sqlCalls.find((s) => !s.includes("double3 >"));
    expect(sql).toContain("FROM shop_telemetry");
    expect(sql).toContain("index1 = 'shop-api'");
    expect(sql).toContain(`blob1 IN ('${CANARY}', '${STABLE}')`);
    expect(sql).toContain(`timestamp >= toDateTime(${since.getTime() / 1000})`);
    expect(sql).toContain(`timestamp < toDateTime(${until.getTime() / 1000})`);
    expect(sql).toContain("blob4 AS route, count() AS rows, SUM(_sample_interval) AS n");
    expect(sql).toContain("GROUP BY version_id, status_class, bucket_ms, route");
    expect(sqlCalls.find((q) => q.includes("double3 >"))).toContain("GROUP BY version_id, route");
    expect(sql).toMatch(/FORMAT JSON$/);
    const auth = api.requests.filter((r) => r.path.endsWith("/graphql") || r.path.endsWith("/analytics_engine/sql"));
    expect(auth.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("reads the queue DLQ rate and Durable Object errors for the release's extra signals", async () => {
    const signals = await platform().extraSignals({
      worker: "shop-api",
      since,
      until,
      queues: ["order-events"],
      durableObjects: ["Cart"],
    });
    expect(signals).toEqual({ dlqMessages: { "order-events": 37 }, durableObjectErrors: { Cart: 42 } });
    // Named by its DLQ, the queue counts what order-events sent there (the consumer config says so).
    const byDlq = await platform().extraSignals({
      worker: "shop-api",
      since,
      until,
      queues: ["order-events-dlq"],
      durableObjects: [],
    });
    expect(byDlq.dlqMessages).toEqual({ "order-events-dlq": 37 });
    const dlq = graphqlCalls.find((c) => c.query.includes("queueMessageOperationsAdaptiveGroups"));
    expect(dlq?.query).toContain('actionType: "DeleteMessage", outcome: "dlq"');
    expect(dlq?.variables.queueId).toBe(api.state.queues.get("order-events")?.queue_id);
    const dobj = graphqlCalls.find((c) => c.query.includes("durableObjectsInvocationsAdaptiveGroups"));
    expect(dobj?.variables.namespaceIds).toEqual(["ns-cart"]);
  });

  it("reads a queue's backlog from queueBacklogAdaptiveGroups, and says nothing when there is no sample", async () => {
    const state = await platform().queueState("order-events");
    expect(state).toEqual({ queue: "order-events", paused: false, backlog: 120, deadLetterQueue: "order-events-dlq" });
    const q = graphqlCalls.filter((c) => c.query.includes("queueBacklogAdaptiveGroups"));
    expect(q.map((c) => c.variables.queueId)).toEqual([
      api.state.queues.get("order-events")?.queue_id,
      api.state.queues.get("order-events-dlq")?.queue_id,
    ]);
    expect(q[0]?.query).toContain("orderBy: [datetime_DESC]");
  });

  it("surfaces a GraphQL error with its message, and never the token", async () => {
    const saved = api.state.graphql;
    api.state.graphql = () => fixture("graphql-error.json");
    try {
      const err = await platform()
        .metrics({ worker: "shop-api", since, until })
        .catch((e: unknown) => e);
      expect((err as Error).message).toContain("cannot request data older than 2678400s");
      expect((err as Error).message).not.toContain(TOKEN);
    } finally {
      api.state.graphql = saved;
    }
  });

  it("returns no metrics for a Worker that was never deployed", async () => {
    api.addScript("idle-worker");
    expect(await platform().metrics({ worker: "idle-worker", since, until })).toEqual([]);
  });

  it("left no request unanswered, and sent only what Cloudflare's schema allows", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
  });
});
