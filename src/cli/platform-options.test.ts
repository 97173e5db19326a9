import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createPlatform } from "../platform/index.js";
import type { Capability, Platform, PlatformWith } from "../platform/platform.js";
import { platformFor, TARGET_OPTION } from "./platform-options.js";
import { commandModules } from "./registry.js";

describe("platform options", () => {
  it("gives --env to every command that talks to a platform (--target)", async () => {
    const withTarget: string[] = [];
    for (const [name, load] of Object.entries(commandModules)) {
      const { default: command } = await load();
      // Commands that go through a Platform take the shared --target (runbook's own --target only names one).
      if (command.options.target?.description !== TARGET_OPTION.target.description) continue;
      withTarget.push(name);
      expect(command.options.env, `${name} takes --target but not --env`).toMatchObject({ type: "string" });
    }
    expect(withTarget).toEqual(
      expect.arrayContaining([
        "rollback",
        "versions deploy",
        "deployments list",
        "d1 restore",
        "queues pause",
        "flags set",
      ]),
    );
  });
});

describe("platformFor", () => {
  const shop = fileURLToPath(new URL("../../examples/shop", import.meta.url));

  it("gives a command the platform of its target, typed to the capabilities it names", async () => {
    const { platform, projectDir } = await platformFor(
      { cwd: shop, options: { target: "local", project: undefined, env: undefined, json: false } },
      ["queues", "flags"],
    );
    expect(projectDir).toBe(shop);
    expect(platform.target).toBe("local");
    expect(typeof platform.pauseQueue).toBe("function");
    expect(typeof platform.listFlags).toBe("function");
    const outside = (p: typeof platform) =>
      // @ts-expect-error deploy belongs to "versions", which this command did not name (typecheck fails otherwise)
      p.deploy("shop", []);
    expect(typeof outside).toBe("function");
    // Every capability in Platform's extends list is named in PlatformCapabilities (typecheck fails otherwise).
    const everyNamed = (p: PlatformWith<Capability>): Platform => p;
    const full = await createPlatform({ target: "local", projectDir: shop });
    expect(everyNamed(full)).toBe(full);
  });
});
