import { defineWorkersProject } from "../../../test/workers-project.js";

export default defineWorkersProject({
  name: "runtime:telemetry",
  miniflare: {
    // Miniflare's own Analytics Engine binding: it accepts writes but cannot be read back,
    // so the tests also pass a recording binding to see exactly what was written.
    analyticsEngineDatasets: { TELEMETRY_AE: { dataset: "blastwall_telemetry_test" } },
  },
});
