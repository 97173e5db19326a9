// A Worker with blastwall/telemetry and route labels: the local edge counts its requests by route as Cloudflare's
// Analytics Engine rows would be (blob4). /orders/:id fails one request in four.
import { withTelemetry } from "blastwall/telemetry";

export default withTelemetry(
  {
    async fetch(request) {
      const { pathname } = new URL(request.url);
      const id = Number(pathname.split("/")[2] ?? 0);
      if (pathname.startsWith("/orders/") && id % 4 === 0) return new Response("failed", { status: 500 });
      return new Response("ok");
    },
  },
  {
    worker: "routes",
    dataset: (env) => env.TELEMETRY,
    version: (env) => env.CF_VERSION_METADATA,
    routes: [
      ["/orders/:id", "orders/:id"],
      ["/healthz", "healthz"],
    ],
  },
);
