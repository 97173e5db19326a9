import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:d1",
  testTimeout: 60_000,
  miniflare: {
    d1Databases: ["D1_DB"],
  },
});
