import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { BlastwallError } from "../../core/errors.js";

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

/**
 * Listens on 127.0.0.1 only; a taken port is a usable error.
 *
 * @example
 * const server = await listen(createServer(handler), 0);
 */
export function listen(server: Server, port: number): Promise<Server> {
  return new Promise((done, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(
        err.code === "EADDRINUSE"
          ? new BlastwallError(`port ${port} on 127.0.0.1 is taken`, {
              fix: "pick another with --port, or stop what uses it",
            })
          : err,
      ),
    );
    server.listen(port, "127.0.0.1", () => done(server));
  });
}
