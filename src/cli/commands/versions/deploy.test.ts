import { describe, expect, it } from "vitest";
import { captureOutput } from "../../../../test/cli/capture.js";
import { runCli } from "../../main.js";
import { parseSplitArg, splitOf } from "./deploy.js";

describe("versions deploy arguments", () => {
  it("parses <version>@<percent>", () => {
    expect(parseSplitArg("4f2a91c0@10")).toEqual({ versionId: "4f2a91c0", percentage: 10 });
    expect(parseSplitArg("v2@12.5%")).toEqual({ versionId: "v2", percentage: 12.5 });
    expect(parseSplitArg("4f2a91c0")).toEqual({ versionId: "4f2a91c0", percentage: 100 });
    expect(() => parseSplitArg("v2@")).toThrow(/not <version>@<percent>/);
    expect(() => parseSplitArg("@10")).toThrow(/not <version>@<percent>/);
    expect(() => parseSplitArg("v2@ten")).toThrow(/not <version>@<percent>/);
  });

  it("takes wrangler's --version-id/--percentage pairs as the same split", () => {
    const split = [
      { versionId: "a", percentage: 90 },
      { versionId: "b", percentage: 10 },
    ];
    expect(splitOf(["a@90", "b@10"], [], [])).toEqual(split);
    expect(splitOf([], ["a", "b"], ["90", "10"])).toEqual(split);
    expect(splitOf([], ["a"], [])).toEqual([{ versionId: "a", percentage: 100 }]);
    expect(() => splitOf(["a@90"], ["b"], ["10"])).toThrow(/give the split once/);
    expect(() => splitOf([], ["a", "b"], ["90"])).toThrow(/2 --version-id but 1 --percentage/);
    expect(() => splitOf([], [], ["90"])).toThrow(/--percentage needs --version-id/);
  });

  it.each([
    ["versions", "deploy", "a@90", "b@10", "-y"],
    ["versions", "deploy", "--version-id", "a", "--percentage", "100", "--yes"],
    ["rollback", "--yes", "-m", "5xx on checkout"],
  ])("accepts wrangler's flags: %s %s %s %s %s", async (...argv) => {
    const io = captureOutput();
    // No edge runs for this project, so the command stops there: after its flags were accepted.
    await runCli({ argv: [...argv, "--project", "examples/shop"], env: { CI: "true" }, ...io });
    expect(io.text().err).not.toMatch(/unknown (option|flag)|did you mean/i);
    expect(io.text().err).toMatch(/not running|no local edge/i);
  });
});
