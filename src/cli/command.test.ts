import { describe, expect, it } from "vitest";
import { defineCommand } from "./command.js";
import { runInProcess } from "./main.js";
import { PLATFORM_OPTIONS } from "./platform-options.js";

const seen: unknown[] = [];

const probe = defineCommand({
  name: "probe",
  group: "Project",
  summary: "records its typed options",
  json: true,
  options: {
    ...PLATFORM_OPTIONS,
    since: { type: "string", description: "a window", valueName: "<duration>" },
    var: { type: "string", multiple: true, description: "repeatable" },
    keep: { type: "boolean", short: "k", description: "a switch" },
  },
  run: async ({ options }) => {
    const since: string | undefined = options.since;
    const vars: string[] = options.var;
    const keep: boolean = options.keep;
    const target: string | undefined = options.target;
    // @ts-expect-error an option the command does not define does not compile
    seen.push(options.sinc);
    seen.push({ since, vars, keep, target, json: options.json });
    return 0;
  },
});

describe("defineCommand", () => {
  it("hands the handler one typed value per definition: strings, lists, switches and --json", async () => {
    seen.length = 0;
    const given = ["probe", "--since", "5m", "--var", "A=1", "--var", "B=2", "-k", "--target", "local", "--json"];
    expect((await runInProcess(given, ".", { commands: [probe] })).code).toBe(0);
    expect(seen).toEqual([undefined, { since: "5m", vars: ["A=1", "B=2"], keep: true, target: "local", json: true }]);
  });

  it("gives absent options their empty values: undefined, [] and false", async () => {
    seen.length = 0;
    expect((await runInProcess(["probe"], ".", { commands: [probe] })).code).toBe(0);
    expect(seen[1]).toEqual({ since: undefined, vars: [], keep: false, target: undefined, json: false });
  });

  it("refuses an option that is not defined, with the nearest one", async () => {
    const r = await runInProcess(["probe", "--sinc", "5m"], ".", { commands: [probe] });
    expect(r.code).toBe(2);
    expect(r.output).toContain("did you mean --since?");
  });
});
