// Preloaded into wrangler by the contract tests (NODE_OPTIONS=--require). Any TCP connection to a host that is
// not loopback is refused and written to BLASTWALL_NET_GUARD_LOG, so a test can prove wrangler only talked to
// the loopback API server: no metrics, no update check, no real Cloudflare.
const net = require("node:net");
const fs = require("node:fs");

const log = process.env.BLASTWALL_NET_GUARD_LOG;
const loopback = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"]);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const opts = typeof first === "object" && first !== null ? first : { port: first, host: args[1] };
  const host = opts.host ?? opts.hostname ?? "localhost";
  if (!opts.path && !loopback.has(String(host))) {
    if (log) fs.appendFileSync(log, `${host}:${opts.port}\n`);
    process.nextTick(() => this.destroy(new Error(`loopback guard: blocked connection to ${host}:${opts.port}`)));
    return this;
  }
  return connect.apply(this, args);
};
