import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:ops",
  main: "./test-worker.ts",
  miniflare: {
    durableObjects: {
      OPS_DO: { className: "BlastwallOpsFlags", useSQLite: true },
      OPS_DO_DOWN: { className: "OpsFlagsDown", useSQLite: true },
    },
    kvNamespaces: ["OPS_KV"],
    queueProducers: { OPS_QUEUE: "ops-queue" },
    bindings: { OPS_ADMIN_TOKEN: "s3cr3t-ops-token-for-tests-0123456789" },
  },
});
