import { rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { Edge } from "../src/platform/local/edge.js";
import { copyShop } from "../test/e2e/helpers.js";
import { defineBench, interleaved, median, percentile, round } from "./lib.js";

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One GET on a keep-alive connection, body read to the end. */
function get(url: URL): Promise<void> {
  return new Promise((done, fail) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? done() : fail(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", fail);
    req.end();
  });
}

/**
 * The local edge's router overhead: the same GET /healthz of examples/shop's shop-api, once through the router
 * (split lookup, proxy, metrics) and once straight to the version's own workerd socket, interleaved in one run.
 */
export default defineBench({
  name: "edge",
  description:
    "GET /healthz through the local edge router vs straight to the version's workerd socket (ratio, same run, interleaved)",
  run: async () => {
    const dir = copyShop("bench-edge");
    const edge = await Edge.start({ projectDir: dir, port: 0, log: () => {} });
    try {
      const v1 = await edge.deployments.upload({ worker: "shop-api", configPath: join(dir, "api", "wrangler.jsonc") });
      await edge.deployments.deploy("shop-api", [{ versionId: v1.id, percentage: 100 }]);
      const viaRouter = new URL(`http://127.0.0.1:${edge.routerPort}/healthz`);
      const direct = new URL("/healthz", edge.directUrl("shop-api", v1.id));
      for (let i = 0; i < 50; i++) await Promise.all([get(viaRouter), get(direct)]);
      const { a: router, b: straight } = await interleaved(
        600,
        () => get(viaRouter),
        () => get(direct),
      );
      return [
        { name: "router_p50_ms", value: round(median(router), 3), unit: "ms" },
        { name: "direct_p50_ms", value: round(median(straight), 3), unit: "ms" },
        { name: "router_p99_ms", value: round(percentile(router, 0.99), 3), unit: "ms" },
        { name: "direct_p99_ms", value: round(percentile(straight, 0.99), 3), unit: "ms" },
        { name: "router_p50_ratio", value: round(median(router) / median(straight), 2), unit: "ratio" },
        {
          name: "router_p99_ratio",
          value: round(percentile(router, 0.99) / percentile(straight, 0.99), 2),
          unit: "ratio",
        },
      ];
    } finally {
      await edge.stop();
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
