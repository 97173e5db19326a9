import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReleaseSummary } from "./summary.js";
import { notify, slackPayload, WEBHOOK_ENV } from "./webhook.js";

/** A loopback webhook receiver that records each body and answers with the next status. */
function receiver() {
  const bodies: unknown[] = [];
  let status = 200;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (d: Buffer) => {
      text += d.toString();
    });
    req.on("end", () => {
      bodies.push({ contentType: req.headers["content-type"], body: JSON.parse(text) as unknown });
      res.writeHead(status).end("ok");
    });
  });
  return {
    bodies,
    server,
    answer: (s: number) => {
      status = s;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
  };
}

describe("webhook notifications", () => {
  const hook = receiver();
  beforeAll(() => new Promise<void>((r) => hook.server.listen(0, "127.0.0.1", r)));
  afterAll(() => new Promise<void>((r) => hook.server.close(() => r())));

  it("posts a Slack-compatible payload to the URL in BLASTWALL_WEBHOOK_URL, with the CI run as the link", async () => {
    const env = {
      [WEBHOOK_ENV]: hook.url(),
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_RUN_ID: "42",
    };
    const sent = await notify(
      {
        event: "rollback",
        subject: "shop-api",
        target: "cloudflare",
        message: "canary 5xx 4.1% (41/1000), e=152 ≥ 100",
      },
      { env },
    );
    expect(sent).toBe(true);
    expect(hook.bodies.at(-1)).toEqual({
      contentType: "application/json",
      body: slackPayload({
        event: "rollback",
        subject: "shop-api",
        target: "cloudflare",
        message: "canary 5xx 4.1% (41/1000), e=152 ≥ 100",
        link: "https://github.example/acme/shop/actions/runs/42",
      }),
    });
    const body = (hook.bodies.at(-1) as { body: { text: string; blocks: { type: string }[] } }).body;
    expect(body.text).toContain("rolled back: shop-api (cloudflare)");
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "context"]);
  });

  it("sends nothing without a URL, and warns instead of failing when the receiver refuses", async () => {
    const count = hook.bodies.length;
    expect(await notify({ event: "promote", subject: "a", target: "local", message: "m" }, { env: {} })).toBe(false);
    expect(hook.bodies.length).toBe(count);
    hook.answer(500);
    const warnings: string[] = [];
    const ok = await notify(
      { event: "pause", subject: "order-events", target: "local", message: "paused" },
      { env: { [WEBHOOK_ENV]: hook.url() }, out: { warn: (t) => warnings.push(t) } },
    );
    expect(ok).toBe(false);
    expect(warnings).toEqual(["webhook answered 500; the pause itself went through"]);
  });
});

describe("release job summary", () => {
  it("leads with the decision, then each step's numbers and the report link", () => {
    const md = renderReleaseSummary(
      {
        worker: "shop-api",
        target: "cloudflare",
        outcome: "rolled-back",
        reason: "canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 100",
        candidate: "0acb078a1234",
        stable: "038a12c95678",
        steps: [{ percent: 10, seconds: 31.4, canaryRequests: 1000, decision: "rollback", tests: [] }],
        migrations: [],
      },
      { artifactUrl: "https://github.example/acme/shop/actions/runs/42/artifacts/7" },
    );
    expect(md.split("\n").slice(0, 3)).toEqual([
      "## blastwall release: shop-api 🚨 rolled-back",
      "",
      "**Decision:** canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 100",
    ]);
    expect(md).toContain("| 10% | 31 | 1000 | rollback |");
    expect(md).toContain("[HTML report](https://github.example/acme/shop/actions/runs/42/artifacts/7)");
  });
});
