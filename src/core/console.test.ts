import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOutput } from "./console.js";

function capture(env: NodeJS.ProcessEnv, isTTY = false) {
  const stdout = Object.assign(new PassThrough(), { isTTY, columns: 40 });
  const stderr = new PassThrough();
  let text = "";
  stdout.on("data", (c: Buffer) => {
    text += c.toString("utf8");
  });
  return { out: createOutput({ stdout, stderr, env }), text: () => text };
}

describe("plain console output (no TTY, or CI=true)", () => {
  it("prints a step's title once, one line per change of its detail, and its result", () => {
    const { out, text } = capture({ CI: "true" }, true);
    expect(out.mode).toBe("plain");
    const step = out.step("ramp 5%");
    step.update("10/60 s");
    step.update("10/60 s");
    step.update("10/60 s");
    step.update("20/60 s");
    step.ok("promoted");
    step.update("after the end");
    expect(text().split("\n")).toEqual(["▸ ramp 5%", "  10/60 s", "  20/60 s", "✓ ramp 5%: promoted", ""]);
  });

  it("never cuts a line, however narrow the terminal says it is", () => {
    const { out, text } = capture({});
    const long = `${"x".repeat(300)} end`;
    out.line(long);
    const step = out.step(long);
    step.update(long);
    step.fail(long);
    expect(text().split("\n")).toEqual([long, `▸ ${long}`, `  ${long}`, `✗ ${long}: ${long}`, ""]);
  });
});
