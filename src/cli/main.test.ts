import { describe, expect, it } from "vitest";
import { captureOutput } from "../../test/cli/capture.js";
import { defineCommand } from "./command.js";
import { runCli } from "./main.js";
import { commandModules, loadCommands } from "./registry.js";

const capture = captureOutput;

const env = { CI: "true" };

describe("cli", () => {
  it("groups commands in --help", async () => {
    const io = capture();
    expect(await runCli({ argv: ["--help"], env, ...io })).toBe(0);
    expect(io.text().out).toMatch(/Project:\n {2}workers list/);
  });

  it("prints the package version", async () => {
    const io = capture();
    expect(await runCli({ argv: ["--version"], env, ...io })).toBe(0);
    expect(io.text().out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 2 on an unknown command and suggests the closest", async () => {
    const io = capture();
    expect(await runCli({ argv: ["workers", "lst"], env, ...io })).toBe(2);
    expect(io.text().err).toContain("did you mean `blastwall workers list`");
    const far = capture();
    expect(await runCli({ argv: ["nope"], env, ...far })).toBe(2);
    expect(far.text().err).toMatch(/did you mean `blastwall [a-z0-9 ]+`/);
  });

  it("exits 2 on an unknown flag with a fix", async () => {
    const io = capture();
    expect(await runCli({ argv: ["workers", "list", "--jsno"], env, ...io })).toBe(2);
    expect(io.text().err).toContain("did you mean --json");
  });

  it("dispatches to the longest matching command name", async () => {
    const seen: string[] = [];
    const mk = (name: string) =>
      defineCommand({
        name,
        group: "Incident",
        summary: name,
        positionals: [{ name: "rest", description: "", variadic: true }],
        run: async ({ positionals }) => {
          seen.push(`${name}|${positionals.join(",")}`);
          return 0;
        },
      });
    const io = capture();
    await runCli({
      argv: ["queues", "dlq", "replay", "q1"],
      env,
      commands: [mk("queues dlq replay"), mk("queues pause")],
      ...io,
    });
    expect(seen).toEqual(["queues dlq replay|q1"]);
  });

  it("every registered command is noun-verb, registered under its own name", async () => {
    const commands = await loadCommands();
    expect(commands.map((c) => c.name)).toEqual(Object.keys(commandModules));
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]+( [a-z0-9-]+){0,2}$/);
  });

  it("lists the example shop's Workers as JSON", async () => {
    const io = capture();
    expect(await runCli({ argv: ["workers", "list", "examples/shop", "--json"], env, ...io })).toBe(0);
    const data = JSON.parse(io.text().out) as { workers: { name: string; queue_consumers: string[] }[] };
    expect(data.workers.map((w) => w.name)).toEqual(["shop-api", "shop-consumer"]);
    expect(data.workers[1]?.queue_consumers).toEqual(["order-events"]);
  });
});
