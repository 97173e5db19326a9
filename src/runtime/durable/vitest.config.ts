import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:durable",
  main: "./test-worker.ts",
  miniflare: {
    durableObjects: { DURABLE_COUNTER: "DurableShardCounter" },
  },
});
