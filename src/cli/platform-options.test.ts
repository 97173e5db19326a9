import { describe, expect, it } from "vitest";
import { TARGET_OPTION } from "./platform-options.js";
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
