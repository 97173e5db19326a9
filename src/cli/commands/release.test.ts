import { describe, expect, it } from "vitest";
import { captureOutput } from "../../../test/cli/capture.js";
import { runCli } from "../main.js";

const capture = captureOutput;

const env = { CI: "true" };

describe("release and plan commands", () => {
  it("are listed under Release in --help", async () => {
    const io = capture();
    expect(await runCli({ argv: ["--help"], env, ...io })).toBe(0);
    expect(io.text().out).toMatch(/Release:\n(?: {2}.*\n)*? {2}plan /);
    expect(io.text().out).toMatch(/Release:\n(?: {2}.*\n)*? {2}release /);
  });

  it("release needs --worker when the project has several Workers (exit 2)", async () => {
    const io = capture();
    expect(await runCli({ argv: ["release", "examples/shop"], env, ...io })).toBe(2);
    expect(io.text().err).toContain("this project has 2 Workers; release one at a time");
    expect(io.text().err).toContain("--worker shop-api");
  });

  it("names an unknown Worker and lists the real ones (exit 2)", async () => {
    const io = capture();
    expect(await runCli({ argv: ["plan", "examples/shop", "--worker", "shop-apx"], env, ...io })).toBe(2);
    expect(io.text().err).toContain('no Worker named "shop-apx"');
    expect(io.text().err).toContain("shop-api, shop-consumer");
  });

  it("refuses an override without a reason and an unknown target (exit 2)", async () => {
    const a = capture();
    expect(
      await runCli({
        argv: ["release", "examples/shop", "--worker", "shop-api", "--override", " "],
        env,
        ...a,
      }),
    ).toBe(2);
    expect(a.text().err).toContain("--override needs a reason");
    const b = capture();
    expect(await runCli({ argv: ["plan", "examples/shop", "--target", "aws"], env, ...b })).toBe(2);
    expect(b.text().err).toContain("use --target local or --target cloudflare");
  });
});
