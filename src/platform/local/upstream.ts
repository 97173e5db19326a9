import { type Agent, type IncomingMessage, request } from "node:http";

export interface UpstreamOptions {
  /** The version's own socket in workerd. */
  target: URL;
  /** The client's request: its method, headers and body go upstream. */
  req: IncomingMessage;
  path: string;
  agent: Agent;
  onResponse: (up: IncomingMessage) => void;
  onError: (err: Error) => void;
}

export interface Upstream {
  destroy(): void;
}

/** A request with no body can be sent again: nothing of it was consumed by the attempt that failed. */
function bodiless(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || Number(length) === 0);
}

/** The peer closed a kept-alive socket before this request reached it (workerd restarted, or timed it out). */
function staleSocket(err: Error, reused: boolean): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return reused && (code === "ECONNRESET" || code === "EPIPE");
}

/**
 * Sends a request to a version's socket. A bodiless request that failed only because its pooled socket was
 * already closed by workerd is sent once more on a fresh socket (Node's advice for `reusedSocket`): the Worker
 * never saw it, and counting it as the version's 502 would put a false error burst into the metrics.
 *
 * @example
 * const up = sendUpstream({ target, req, path: "/orders", agent, onResponse: (r) => r.pipe(res), onError });
 * res.on("close", () => up.destroy());
 */
export function sendUpstream({ target, req, path, agent, onResponse, onError }: UpstreamOptions): Upstream {
  const retryable = bodiless(req);
  let current = attempt(true);

  function attempt(first: boolean) {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: req.headers, agent },
      onResponse,
    );
    upstream.on("error", (err) => {
      if (first && retryable && staleSocket(err, upstream.reusedSocket)) {
        current = attempt(false);
        return;
      }
      onError(err);
    });
    if (!retryable) req.pipe(upstream);
    else {
      if (first) req.resume();
      upstream.end();
    }
    return upstream;
  }

  return { destroy: () => current.destroy() };
}
