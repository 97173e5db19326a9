import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { slowerThanSql, telemetrySql } from "../../../src/platform/cloudflare/metrics.js";
import { analyticsAnswer, checkAnalyticsSql } from "./analytics-engine.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
const at = (s: number) => new Date(s * 1000);
const telemetry = telemetrySql("shop_telemetry", "shop-api", ["v1", "v2"], at(60), at(120));
const slower = slowerThanSql("shop_telemetry", "shop-api", ["v1", "v2"], at(60), at(120), 250);

describe("Analytics Engine SQL API checks", () => {
  it("accepts the target's queries with the recorded answers, and an empty window", () => {
    for (const f of ["analytics-engine-telemetry.json", "analytics-engine-telemetry-routes.json"]) {
      expect(checkAnalyticsSql(telemetry, fixture(f))).toEqual([]);
    }
    for (const f of ["analytics-engine-slower.json", "analytics-engine-slower-routes.json"]) {
      expect(checkAnalyticsSql(slower, fixture(f))).toEqual([]);
    }
    expect(checkAnalyticsSql(telemetry, analyticsAnswer(telemetry, []))).toEqual([]);
  });

  it("fails a column the dataset lacks, a missing FORMAT JSON, and answers that do not fit the query", () => {
    const empty = analyticsAnswer(telemetry, []);
    expect(checkAnalyticsSql(telemetry.replace("blob4", "blob21"), empty).join()).toMatch(/blob21 is not a column/);
    expect(checkAnalyticsSql(telemetry.replace(" FORMAT JSON", ""), empty).join()).toMatch(/FORMAT JSON/);
    // An answer recorded for the older query (no route column) no longer fits the query sent.
    expect(checkAnalyticsSql(telemetry, fixture("analytics-engine-slower.json")).join()).toMatch(/meta names/);
    const unquoted = {
      meta: [
        { name: "version_id", type: "String" },
        { name: "route", type: "String" },
        { name: "rows", type: "UInt64" },
        { name: "n", type: "UInt64" },
      ],
      data: [{ version_id: "v1", route: "", rows: 3, n: "3" }],
    };
    expect(checkAnalyticsSql(slower, unquoted).join()).toMatch(/quotes a UInt64/);
  });
});
