import { defineWorkersProject } from "../workers-project.js";

export default defineWorkersProject({
  name: "workerd",
  miniflare: {
    d1Databases: ["DB"],
    kvNamespaces: ["KV"],
  },
});
