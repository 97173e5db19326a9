import { describe, expect, it } from "vitest";
import { runInProcess } from "../main.js";
import metrics from "./metrics.js";

describe("metrics --since", () => {
  it("refuses a window without a unit before it asks any platform, and says how to write one", async () => {
    for (const since of ["5 minutes", "300"]) {
      const r = await runInProcess(["metrics", "--since", since], ".", { commands: [metrics] });
      expect(r.code).toBe(2);
      expect(r.output).toContain(`--since ${since} is not a duration`);
      expect(r.output).toContain('like "250ms", "30s", "5m" or "1h"');
    }
  });
});
