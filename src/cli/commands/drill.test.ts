import { describe, expect, it } from "vitest";
import { captureOutput } from "../../../test/cli/capture.js";
import { SCENARIOS } from "../../drill/index.js";
import { runCli } from "../main.js";

const shop = new URL("../../../examples/shop", import.meta.url).pathname;

describe("blastwall drill", () => {
  it("names the scenario it guesses and lists them all for an unknown one", async () => {
    const io = captureOutput();
    const code = await runCli({ argv: ["drill", "bad-versoin"], cwd: shop, stdout: io.stdout, stderr: io.stderr });
    expect(code).toBe(2);
    expect(io.text().err).toContain("blastwall drill bad-version");
    expect(io.text().err).toContain("poison-flood, bad-migration, do-migration");
  });

  it("has one scenario per incident of the runbook", () => {
    expect(Object.values(SCENARIOS).map((s) => s.incident)).toEqual([
      "compute-regression",
      "queue-consumer-regression",
      "bad-d1-migration",
      "do-migration-issue",
    ]);
  });
});

describe("blastwall queues dlq replay", () => {
  it("is told apart from queues pause and needs the source queue", async () => {
    const io = captureOutput();
    const code = await runCli({ argv: ["queues", "dlq", "replay"], cwd: shop, stdout: io.stdout, stderr: io.stderr });
    expect(code).toBe(2);
    expect(io.text().err).toMatch(/queue/);
  });
});
