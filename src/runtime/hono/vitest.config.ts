import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:hono",
  main: "./test-worker.ts",
  miniflare: {
    durableObjects: { HONO_OPS: { className: "BlastwallOpsFlags", useSQLite: true } },
    bindings: { HONO_ADMIN_TOKEN: "hono-admin-token-for-tests-abcdef" },
  },
});
