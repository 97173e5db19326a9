import type { Output } from "../core/console.js";

export type CommandGroup = "Check" | "Release" | "Local edge" | "Incident" | "Project";

/** Help groups in the order `blastwall --help` shows them. */
export const GROUP_ORDER: readonly CommandGroup[] = ["Check", "Release", "Local edge", "Incident", "Project"];

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  description: string;
  multiple?: boolean;
  /** Shown in help, e.g. `<dir>`. */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining argument. */
  variadic?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  /** Parsed `--flags`, keyed by long name. */
  options: OptionValues;
  positionals: string[];
  out: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM so long commands can stop at a defined point. */
  signal: AbortSignal;
  /**
   * Runs another command in this process, as `blastwall <argv>` in `cwd` would with CI=true, and resolves to its exit
   * code and all it printed (how drills run the runbook's commands without importing the CLI).
   */
  invoke(argv: string[], cwd: string): Promise<{ code: number; output: string }>;
}

export interface CommandOptions {
  /** noun-verb, e.g. "versions upload"; a single word for top-level verbs like "check". */
  name: string;
  group: CommandGroup;
  summary: string;
  description?: string;
  options?: Record<string, OptionSpec>;
  positionals?: PositionalSpec[];
  /** The command returns data and accepts `--json`. */
  json?: boolean;
  examples?: string[];
  /** Resolves to the exit code: 0 ok, 1 a problem found, 2 unusable input. */
  run: (ctx: CommandContext) => Promise<number>;
}

export type Command = Required<Pick<CommandOptions, "options" | "positionals" | "json" | "examples">> & CommandOptions;

/**
 * Declares one CLI command. Each command lives in its own file under `src/cli/commands/<noun>/<verb>.ts`
 * and is listed once in `src/cli/registry.ts`.
 *
 * @example
 * export default defineCommand({
 *   name: "flags list", group: "Incident", summary: "List ops flags", json: true,
 *   run: async ({ out }) => { out.line("disable_writes off"); return 0; },
 * });
 */
export function defineCommand({
  options = {},
  positionals = [],
  json = false,
  examples = [],
  ...rest
}: CommandOptions): Command {
  return { options, positionals, json, examples, ...rest };
}

/** Reads a string option, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

export function stringListOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return typeof v === "string" ? [v] : [];
}
