import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findProjectDir } from "./find-project.js";

/** A repo with a two-Worker app under apps/shop (configs in api/ and consumer/, blastwall.config.ts at its root). */
function tree(): { root: string; shop: string } {
  const root = mkdtempSync(join(tmpdir(), "bw-find-"));
  const shop = join(root, "apps", "shop");
  for (const w of ["api", "consumer"]) {
    mkdirSync(join(shop, w, "src"), { recursive: true });
    writeFileSync(join(shop, w, "wrangler.jsonc"), `{ "name": "${w}" }`);
  }
  writeFileSync(join(shop, "blastwall.config.ts"), "export default {};\n");
  return { root, shop };
}

function startEdge(dir: string): void {
  mkdirSync(join(dir, ".blastwall", "local"), { recursive: true });
  writeFileSync(join(dir, ".blastwall", "local", "edge.json"), "{}");
}

describe("findProjectDir", () => {
  it("takes --project first, relative to cwd", () => {
    const { root, shop } = tree();
    expect(findProjectDir(root, "apps/shop")).toBe(shop);
  });

  it("finds the project from any folder inside it: its blastwall config's folder", () => {
    const { shop } = tree();
    expect(findProjectDir(join(shop, "api", "src"))).toBe(shop);
    expect(findProjectDir(shop)).toBe(shop);
  });

  it("finds a running edge above cwd, or the one running edge below it", () => {
    const { root, shop } = tree();
    expect(findProjectDir(root)).toBe(root);
    startEdge(shop);
    expect(findProjectDir(root)).toBe(shop);
    expect(findProjectDir(join(shop, "consumer"))).toBe(shop);
    const other = join(root, "apps", "blog");
    mkdirSync(other, { recursive: true });
    startEdge(other);
    // Two edges below: which one is ambiguous, so cwd it is.
    expect(findProjectDir(root)).toBe(root);
  });
});
