import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createWranglerRunner, WranglerError } from "./wrangler.js";

// A stand-in wrangler bin: it behaves as the real one does towards its caller (output file, stderr, exit code),
// driven by its arguments, so the runner's parsing and error handling can be checked without the network.
const dir = mkdtempSync(join(tmpdir(), "blastwall-fake-wrangler-"));
const bin = join(dir, "wrangler.cjs");
writeFileSync(
  bin,
  `const fs = require("node:fs");
const out = process.env.WRANGLER_OUTPUT_FILE_PATH;
const write = (e) => fs.appendFileSync(out, JSON.stringify({ ...e, timestamp: new Date().toISOString() }) + "\\n");
const [cmd] = process.argv.slice(2);
write({ type: "wrangler-session", version: 1, command_line_args: process.argv.slice(2) });
if (cmd === "ok") {
  write({ type: "version-upload", version: 1, version_id: "v-123", worker_name: "w" });
  console.log("env", process.env.CI, process.env.WRANGLER_SEND_METRICS, process.env.WRANGLER_HIDE_BANNER, process.env.OTHER_SECRET ?? "none");
  process.exit(0);
}
if (cmd === "api-error") {
  write({ type: "command-failed", version: 1, code: 10211, message: "A request to the Cloudflare API failed for token " + process.env.CLOUDFLARE_API_TOKEN });
  process.exit(1);
}
if (cmd === "notes") {
  write({ type: "command-failed", version: 1, code: 10220, message: "A request to the Cloudflare API (/accounts/acc/workers/scripts/w/deployments) failed." });
  console.error("✘ [ERROR] A request to the Cloudflare API (/accounts/acc/workers/scripts/w/deployments) failed.\\n\\n  Cannot rollback to a version with modified secrets. The following secrets have changed: API_KEY [code: 10220]\\n");
  process.exit(1);
}
if (cmd === "slow") {
  setTimeout(() => { write({ type: "version-deploy", version: 1, deployment_id: "d-1", worker_name: "w", worker_tag: null, version_traffic: {} }); process.exit(0); }, Number(process.argv[3]));
  return;
}
if (cmd === "crash") {
  fs.appendFileSync(out, '{"type":"torn');
  console.error("boom [code: 10220] Bearer " + process.env.CLOUDFLARE_API_TOKEN);
  process.exit(2);
}
`,
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "secret-token-abcdef123456";
const run = createWranglerRunner({
  apiToken: TOKEN,
  accountId: "acc",
  wranglerBin: bin,
  baseEnv: { PATH: process.env.PATH, OTHER_SECRET: "must-not-pass" },
});

describe("wrangler runner", () => {
  it("reads the structured output file and runs wrangler non-interactively without metrics or banner", async () => {
    const r = await run(["ok"]);
    expect(r.entries.map((e) => e.type)).toEqual(["wrangler-session", "version-upload"]);
    expect(r.entries[1]?.version_id).toBe("v-123");
    expect(r.stdout.trim()).toBe("env true false true none");
  });

  it("turns command-failed into a WranglerError with the API code, token redacted", async () => {
    const err = await run(["api-error"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WranglerError);
    expect((err as WranglerError).code).toBe(10211);
    expect((err as Error).message).toContain("[redacted]");
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it("keeps the API's reason, printed as a note under wrangler's generic first line", async () => {
    const err = await run(["notes"]).catch((e: unknown) => e);
    expect((err as WranglerError).code).toBe(10220);
    expect((err as Error).message).toBe(
      "wrangler notes failed: A request to the Cloudflare API (/accounts/acc/workers/scripts/w/deployments) failed. Cannot rollback to a version with modified secrets. The following secrets have changed: API_KEY [code: 10220]",
    );
  });

  it("kills a run only after its own time limit, and never one that changes data (timeout 0)", async () => {
    const quick = createWranglerRunner({ apiToken: TOKEN, accountId: "acc", wranglerBin: bin, timeoutMs: 300 });
    const killed = await quick(["slow", "3000"]).catch((e: unknown) => e);
    expect((killed as WranglerError).timedOut).toBe(true);
    expect((killed as WranglerError).transient).toBe(true);
    const r = await quick(["slow", "600"], { timeoutMs: 0 });
    expect(r.entries.map((e) => e.type)).toContain("version-deploy");
  });

  it("survives a torn output file and takes the code from the text", async () => {
    const err = await run(["crash"]).catch((e: unknown) => e);
    expect((err as WranglerError).code).toBe(10220);
    expect((err as Error).message).not.toContain(TOKEN);
  });
});
