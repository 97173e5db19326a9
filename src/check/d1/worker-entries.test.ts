import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWranglerConfig } from "../../project/wrangler-config.js";
import { writeProject as project } from "../config/fixture.js";
import { workerEntries } from "./worker-entries.js";

const PAGES = 'name = "app"\npages_build_output_dir = "./dist"\n';
const entriesOf = (dir: string) =>
  workerEntries(loadWranglerConfig(join(dir, "wrangler.toml")))?.map((p) => p.slice(dir.length + 1));

describe("workerEntries", () => {
  it("is main for a Worker, and nothing when the deploy may load modules no import names", () => {
    expect(entriesOf(project({ "wrangler.toml": 'name = "w"\nmain = "src/index.ts"\n', "src/index.ts": "" }))).toEqual([
      "src/index.ts",
    ]);
    const rules = 'name = "w"\nmain = "src/index.ts"\nfind_additional_modules = true\n';
    expect(entriesOf(project({ "wrangler.toml": rules, "src/index.ts": "" }))).toBeUndefined();
  });

  it("reads the entry Hono's Pages build plugin bundles, its default, and the Pages Functions", () => {
    const vite = (plugin: string) =>
      `import build from '@hono/vite-build/cloudflare-pages'\nimport devServer from '@hono/vite-dev-server'\nexport default { plugins: [${plugin}, devServer({ entry: 'src/dev.tsx' })] }\n`;
    const files = { "wrangler.toml": PAGES, "src/index.tsx": "", "src/server.ts": "", "src/dev.tsx": "" };
    expect(entriesOf(project({ ...files, "vite.config.ts": vite("build({ entry: 'src/server.ts' })") }))).toEqual([
      "src/server.ts",
    ]);
    expect(entriesOf(project({ ...files, "vite.config.ts": vite("build()") }))).toEqual(["src/index.tsx"]);
    expect(entriesOf(project({ ...files, "functions/api/[id].ts": "", "functions/_middleware.ts": "" }))).toEqual([
      "functions/_middleware.ts",
      "functions/api/[id].ts",
    ]);
    // A Pages project built some other way: its entries are not known.
    expect(entriesOf(project({ ...files, "vite.config.ts": "export default {}" }))).toBeUndefined();
  });
});
