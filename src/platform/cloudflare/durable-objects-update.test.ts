import { describe, expect, it } from "vitest";
import { DO_CODE_UPDATE_MODE_SINCE, immediateDurableObjectsArgs } from "./durable-objects-update.js";

describe("immediateDurableObjectsArgs", () => {
  it("passes the flag from the first wrangler that has it, and never to an older or unknown one", () => {
    const flag = ["--durable-objects-code-update-mode", "immediate"];
    expect(DO_CODE_UPDATE_MODE_SINCE).toBe("4.141.0");
    expect(immediateDurableObjectsArgs("4.141.0")).toEqual(flag);
    expect(immediateDurableObjectsArgs("4.164.0")).toEqual(flag);
    expect(immediateDurableObjectsArgs("5.0.0")).toEqual(flag);
    expect(immediateDurableObjectsArgs("4.140.0")).toEqual([]);
    expect(immediateDurableObjectsArgs("4.86.0")).toEqual([]);
    expect(immediateDurableObjectsArgs(undefined)).toEqual([]);
    expect(immediateDurableObjectsArgs("not-a-version")).toEqual([]);
  });
});
