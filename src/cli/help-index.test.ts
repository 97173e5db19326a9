import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HELP_INDEX } from "./help-index.js";
import { commandModules, loadCommands } from "./registry.js";

const file = fileURLToPath(new URL("./help-index.ts", import.meta.url));

/** The generated file's text for the registry's commands as they are. */
async function generated(): Promise<string> {
  const entries = (await loadCommands()).map(({ name, group, summary }) => ({ name, group, summary }));
  return [
    "// Generated from the command files by src/cli/help-index.test.ts; do not edit. Regenerate with",
    "// BLASTWALL_WRITE_HELP_INDEX=1 npx vitest run src/cli/help-index.test.ts",
    'import type { CommandSummary } from "./help.js";',
    "",
    "/** What `blastwall --help` lists, in registry order, so listing loads no command module. */",
    `export const HELP_INDEX: readonly CommandSummary[] = ${JSON.stringify(entries, null, 2)};`,
    "",
  ].join("\n");
}

describe("the help index", () => {
  it("lists every registered command with the group and summary its file declares", async () => {
    const text = await generated();
    if (process.env.BLASTWALL_WRITE_HELP_INDEX === "1") {
      writeFileSync(file, text);
      execFileSync(process.execPath, ["node_modules/@biomejs/biome/bin/biome", "format", "--write", file]);
    }
    const stale =
      "src/cli/help-index.ts is stale: run BLASTWALL_WRITE_HELP_INDEX=1 npx vitest run src/cli/help-index.test.ts";
    expect(
      HELP_INDEX.map((c) => c.name),
      stale,
    ).toEqual(Object.keys(commandModules));
    const commands = await loadCommands();
    expect(HELP_INDEX, stale).toEqual(commands.map(({ name, group, summary }) => ({ name, group, summary })));
    expect(readFileSync(file, "utf8").length).toBeGreaterThan(0);
  });
});
