import { describe, expect, it } from "vitest";
import { compileRoute, matchesAny } from "./routes.js";

describe("route patterns", () => {
  it("matches exact paths, one-segment params and rest wildcards", () => {
    const health = compileRoute("/healthz");
    expect(health.test("/healthz")).toBe(true);
    expect(health.test("/healthz/")).toBe(true);
    expect(health.test("/healthzz")).toBe(false);
    const hook = compileRoute("/webhooks/:provider");
    expect(hook.test("/webhooks/stripe")).toBe(true);
    expect(hook.test("/webhooks/stripe/x")).toBe(false);
    const rest = compileRoute("/fanout/*");
    expect(rest.test("/fanout/a/b")).toBe(true);
    expect(rest.test("/fanoutx")).toBe(false);
  });

  it("escapes regex characters and honours a method prefix", () => {
    expect(compileRoute("/v1.0/items").test("/v1x0/items")).toBe(false);
    const routes = [compileRoute("GET /reindex"), compileRoute(/^\/admin\//)];
    expect(matchesAny(routes, "GET", "/reindex")).toBe(true);
    expect(matchesAny(routes, "POST", "/reindex")).toBe(false);
    expect(matchesAny(routes, "DELETE", "/admin/users")).toBe(true);
  });

  it("refuses a pattern that does not start with /", () => {
    expect(() => compileRoute("orders/*")).toThrow(/must start with "\/"/);
  });
});
