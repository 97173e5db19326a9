import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { applySnippets } from "../../test/init-snippets.js";
import { loadBlastwallConfig } from "../project/blastwall-config.js";
import { planInit, WORKFLOW_FILE, writeInit } from "./index.js";
import { findHealthPath, nextMigrationTag } from "./infer.js";
import { tsLiteral } from "./render.js";

const run = promisify(execFile);
const repo = new URL("../..", import.meta.url).pathname;
const fixture = new URL("../../test/e2e/fixtures/first-worker", import.meta.url).pathname;
const shop = new URL("../../examples/shop", import.meta.url).pathname;

function copy(dir: string): string {
  const to = join(mkdtempSync(join(tmpdir(), "bw-init-")), "app");
  cpSync(dir, to, { recursive: true, filter: (src) => !/node_modules|\.blastwall|\.wrangler/.test(src) });
  return to;
}

describe("init inference", () => {
  it("prefers the conventional health route, then the shortest path", () => {
    expect(findHealthPath(['app.get("/api/status", h)', 'app.get("/healthz", h)'])).toBe("/healthz");
    expect(findHealthPath(["router.get('/v1/health', h)", "router.get('/health', h)"])).toBe("/health");
    expect(findHealthPath(['app.get("/orders", h)'])).toBeUndefined();
  });

  it("gives the flags class a migration tag after the existing ones", () => {
    expect(nextMigrationTag([])).toBe("v1");
    expect(nextMigrationTag(["v1", "v2"])).toBe("v3");
    expect(nextMigrationTag(["init", "blastwall-ops-flags"])).toBe("blastwall-ops-flags-2");
  });

  it("prints TypeScript literals: bare keys, short values on one line", () => {
    expect(tsLiteral({ "shop-api": { steps: [5, 100] } })).toBe('{ "shop-api": { steps: [5, 100] } }');
  });
});

describe("planInit on a fresh Hono Worker", () => {
  it("finds the health route and Hono, and asks for the flags binding, the module and the Env types", () => {
    const plan = planInit(fixture);
    expect(plan.workers).toMatchObject([{ name: "notes", http: true, hono: true, healthPath: "/healthz" }]);
    const snippets = plan.snippets[0]?.snippets ?? [];
    expect(snippets.map((s) => [s.action, s.file])).toEqual([
      ["add", "wrangler.jsonc"],
      ["create", "src/blastwall.ts"],
      ["add", "src/index.ts"],
      ["add", "src/index.ts"],
    ]);
    const all = snippets.map((s) => s.code).join("\n");
    expect(all).toContain("OPS_FLAGS: DurableObjectNamespace<BlastwallOpsFlags>;");
    expect(all).toContain('"migrations": [{ "tag": "v1", "new_sqlite_classes": ["BlastwallOpsFlags"] }]');
    expect(all).toContain("export default protect<Env>({ fetch: app.fetch });");
    expect(all).toContain('health: ["/healthz"]');
  });

  it("writes a blastwall.config.ts that the loader accepts, and the workflow only when asked", async () => {
    const dir = copy(fixture);
    const plan = planInit(dir);
    expect(writeInit(plan)).toEqual(["blastwall.config.ts"]);
    const { config } = await loadBlastwallConfig(dir);
    expect(config.workers?.notes?.smoke).toEqual([{ name: "health", path: "/healthz", maxLatencyMs: 1000 }]);
    expect(existsSync(join(dir, WORKFLOW_FILE))).toBe(false);
    writeFileSync(join(dir, "blastwall.config.ts"), "// mine\n");
    expect(writeInit(planInit(dir), { ci: true })).toEqual([WORKFLOW_FILE]);
    expect(readFileSync(join(dir, "blastwall.config.ts"), "utf8")).toBe("// mine\n");
    const workflow = readFileSync(join(dir, WORKFLOW_FILE), "utf8");
    expect(workflow).toContain("uses: ./node_modules/blastwall");
    expect(workflow).toContain("worker: notes");
  });
});

describe("the code init prints", () => {
  it("typechecks in the Worker under strict TypeScript against the installed package", async () => {
    // Inside the repo, so node_modules/blastwall (this package) and the Workers types resolve up the tree.
    const dir = join(repo, ".blastwall", `init-typecheck-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    cpSync(fixture, dir, { recursive: true });
    try {
      const plan = planInit(dir);
      writeInit(plan);
      applySnippets(dir, plan);
      const entry = readFileSync(join(dir, "src", "index.ts"), "utf8");
      expect(entry).toContain("export default protect<Env>({ fetch: app.fetch });");
      expect(entry).not.toMatch(/^export default app;$/m);
      await run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("planInit on examples/shop", () => {
  it("leaves a Worker that already uses blastwall alone, and watches the DLQ of the queue the API feeds", () => {
    const plan = planInit(shop);
    expect(plan.existingConfig).toBe("blastwall.config.ts");
    expect(plan.snippets.flatMap((s) => s.snippets)).toEqual([]);
    expect(plan.config).toContain('watch: { queues: ["order-events-dlq"], durableObjects: ["Cart"] }');
    expect(plan.config).toContain('noData: { deadline: "10m", action: "pause" }');
  });
});
