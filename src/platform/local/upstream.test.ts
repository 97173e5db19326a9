import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendUpstream } from "./upstream.js";

// A stand-in for workerd that answers the first request on each socket with its method and body, and closes
// the socket on any later one, unanswered: a kept-alive socket the far side had already dropped (workerd
// restarted on the same port) before the close reached the pool.
let upstreamServer: Server;
let target: URL;
let connections = 0;
const received: string[] = [];

// The edge side: a server whose handler forwards each request with sendUpstream through one pooled agent.
let edge: Server;
let edgeUrl: URL;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
// Clients keep their connections alive too, so the forwarded `Connection` header lets the upstream keep its own.
const clients = new Agent({ keepAlive: true });

async function listen(server: Server): Promise<URL> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

beforeAll(async () => {
  const served = new WeakSet<object>();
  upstreamServer = createServer((req, res) => {
    if (served.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    let body = "";
    req.on("data", (d) => {
      body += String(d);
    });
    req.on("end", () => {
      received.push(`${req.method} ${body}`);
      res.end(`${req.method} ${body}`);
    });
  });
  upstreamServer.on("connection", () => connections++);
  target = await listen(upstreamServer);
  edge = createServer((req: IncomingMessage, res: ServerResponse) => {
    sendUpstream({
      target,
      req,
      path: req.url ?? "/",
      agent,
      onResponse: (up) => {
        res.writeHead(up.statusCode ?? 502);
        up.pipe(res);
      },
      onError: (err) => {
        res.writeHead(502);
        res.end((err as NodeJS.ErrnoException).code ?? err.message);
      },
    });
  });
  edgeUrl = await listen(edge);
});

afterAll(() => {
  agent.destroy();
  clients.destroy();
  edge.closeAllConnections();
  edge.close();
  upstreamServer.closeAllConnections();
  upstreamServer.close();
});

/** One request to the edge; the status and body it got. */
async function send(method: string, body?: string): Promise<{ status: number; text: string }> {
  const req = request(edgeUrl, { method, agent: clients, headers: body ? { "content-length": body.length } : {} });
  req.end(body);
  const [res] = (await once(req, "response")) as [IncomingMessage];
  let text = "";
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode ?? 0, text };
}

/** Leaves one kept-alive socket in the pool, which the upstream will close on its next request. */
async function pool(): Promise<void> {
  expect((await send("GET")).status).toBe(200);
}

describe("forwarding to a version's socket", () => {
  it("sends a GET again on a fresh socket when its pooled socket was closed by a restart", async () => {
    await pool();
    const before = connections;
    expect(await send("GET")).toEqual({ status: 200, text: "GET " });
    expect(connections).toBe(before + 1);
  });

  it("never sends a request with a body twice: the error reaches the caller", async () => {
    await pool();
    received.length = 0;
    expect(await send("POST", "order-1")).toEqual({ status: 502, text: "ECONNRESET" });
    // The body was not replayed on another socket.
    expect(received).toEqual([]);
    expect(await send("POST", "order-2")).toEqual({ status: 200, text: "POST order-2" });
  });
});
