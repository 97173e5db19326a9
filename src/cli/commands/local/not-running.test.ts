import { describe, expect, it } from "vitest";
import { runInProcess } from "../../main.js";
import metrics from "../metrics.js";

describe("the local edge is not running", () => {
  it("hints the start command with the --project the user gave, as they gave it", async () => {
    const r = await runInProcess(["metrics", "--project", "examples/shop"], ".", { commands: [metrics] });
    expect(r.output).toContain("the local edge is not running");
    expect(r.output).toContain("`blastwall local up --project examples/shop`");
    const bare = await runInProcess(["metrics"], "examples/shop", { commands: [metrics] });
    expect(bare.output).toContain("`blastwall local up`");
  });
});
