import { defineProject } from "vitest/config";

// End-to-end: each file starts the local edge on loopback with a copy of examples/shop and drives the built CLI
// (`npm test` builds first). Files run one at a time: each edge runs workerd, and CI has 2 cores.
export default defineProject({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.test.ts"],
    root: new URL("../..", import.meta.url).pathname,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    globalSetup: ["test/temp-folder.ts"],
  },
});
