import type { Command } from "./command.js";
import { GROUP_ORDER } from "./command.js";

/** What `blastwall --help` lists of a command. */
export type CommandSummary = Pick<Command, "name" | "group" | "summary">;

/**
 * The command list, by group.
 *
 * @example
 * renderMainHelp(HELP_INDEX, packageVersion());
 */
export function renderMainHelp(commands: readonly CommandSummary[], version: string): string {
  const lines = [
    `blastwall ${version}: keep Cloudflare Workers up while they change`,
    "",
    "Usage: blastwall <command> [options]",
    "",
  ];
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  for (const group of GROUP_ORDER) {
    const inGroup = commands.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    lines.push(`${group}:`);
    for (const c of inGroup) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
    lines.push("");
  }
  lines.push("Global options:", "  --help, -h     help for a command", "  --version, -v  print the version", "");
  lines.push("Run `blastwall <command> --help` for a command's options.");
  return lines.join("\n");
}

export function renderCommandHelp(cmd: Command): string {
  const pos = cmd.positionals.map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.required ? `<${n}>` : `[${n}]`;
  });
  const lines = [`blastwall ${cmd.name}${pos.length ? ` ${pos.join(" ")}` : ""} [options]`, "", cmd.summary];
  if (cmd.description) lines.push("", cmd.description);
  if (cmd.positionals.length) {
    lines.push("", "Arguments:");
    for (const p of cmd.positionals) lines.push(`  ${p.name.padEnd(22)}${p.description}`);
  }
  const flags: [string, string][] = Object.entries(cmd.options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.valueName ?? "<value>"}` : ""}`,
    o.description,
  ]);
  if (cmd.json) flags.push(["--json", "print the result as JSON"]);
  flags.push(["--help", "show this help"]);
  // Pad to the longest flag so a long one never runs into its description.
  const width = Math.max(22, ...flags.map(([f]) => f.length + 2));
  const opts = flags.map(([f, d]) => `  ${f.padEnd(width)}${d}`);
  lines.push("", "Options:", ...opts);
  if (cmd.examples.length) lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}
