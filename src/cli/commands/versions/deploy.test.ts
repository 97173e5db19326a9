import { describe, expect, it } from "vitest";
import { parseSplitArg } from "./deploy.js";

describe("versions deploy arguments", () => {
  it("parses <version>@<percent>", () => {
    expect(parseSplitArg("4f2a91c0@10")).toEqual({ versionId: "4f2a91c0", percentage: 10 });
    expect(parseSplitArg("v2@12.5%")).toEqual({ versionId: "v2", percentage: 12.5 });
    expect(parseSplitArg("4f2a91c0")).toEqual({ versionId: "4f2a91c0", percentage: 100 });
    expect(() => parseSplitArg("v2@")).toThrow(/not <version>@<percent>/);
    expect(() => parseSplitArg("@10")).toThrow(/not <version>@<percent>/);
    expect(() => parseSplitArg("v2@ten")).toThrow(/not <version>@<percent>/);
  });
});
