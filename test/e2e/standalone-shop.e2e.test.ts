import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installedCliJson as cliJson, copyShopOutside, sh } from "./packed.js";

// A copy of examples/shop outside the repo, with blastwall installed from the packed tarball: it builds,
// typechecks and runs on the local edge after `npm install`, with no path back into this checkout.
describe("examples/shop outside the repo", () => {
  let dir = "";
  afterAll(async () => {
    if (!dir) return;
    await sh(dir, "npx --no-install blastwall local down").catch(() => undefined);
    rmSync(dirname(dir), { recursive: true, force: true });
  });

  it("installs, builds, typechecks and serves orders on the local edge", async () => {
    dir = await copyShopOutside();
    await sh(dir, "npm install --prefer-offline");
    const build = await sh(dir, "npm run build");
    expect(build.match(/--dry-run: exiting now\./g)?.length).toBe(2);
    await sh(dir, "npm run typecheck");
    // `local up` applies the pending migrations, so the shop answers at once.
    const up = await cliJson<{ routerPort: number; migrationsApplied: Record<string, unknown[]> }>(dir, [
      "local",
      "up",
      "--port",
      "0",
    ]);
    expect(up.migrationsApplied.shop?.length).toBe(4);
    const v = await cliJson<{ id: string }>(dir, ["versions", "upload", "--worker", "shop-api"]);
    await cliJson(dir, ["versions", "deploy", `${v.id}@100`, "--worker", "shop-api"]);
    const base = `http://127.0.0.1:${up.routerPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, version: v.id });
    const order = await fetch(`${base}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "outside", items: [{ sku: "tea", quantity: 2, priceCents: 150 }] }),
    });
    expect(order.status).toBe(201);
  }, 900_000);
});
