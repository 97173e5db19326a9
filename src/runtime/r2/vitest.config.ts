import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:r2",
  testTimeout: 60_000,
  miniflare: {
    r2Buckets: ["R2_BUCKET"],
  },
});
