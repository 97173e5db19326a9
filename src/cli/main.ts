import { PassThrough } from "node:stream";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { createOutput, type Output } from "../core/console.js";
import { BlastwallError, describeError, UsageError } from "../core/errors.js";
import { packageVersion } from "../core/version.js";
import type { Command, ParsedOptionValues } from "./command.js";
import { errorExitCode } from "./errors.js";
import { type CommandSummary, renderCommandHelp, renderMainHelp } from "./help.js";
import { HELP_INDEX } from "./help-index.js";
import { commandModules } from "./registry.js";
import { closest, nearest } from "./suggest.js";

export interface RunCliOptions {
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  commands?: readonly Command[];
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** Finds the command name whose words are the longest prefix of argv. */
export function resolveName(
  argv: readonly string[],
  names: readonly string[],
): { name: string; rest: string[] } | undefined {
  let best: { name: string; rest: string[] } | undefined;
  for (const name of names) {
    const words = name.split(" ");
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(" ").length)) {
      best = { name, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/** Finds the command whose words are the longest prefix of argv. */
export function resolveCommand(
  argv: readonly string[],
  commands: readonly Command[],
): { command: Command; rest: string[] } | undefined {
  const found = resolveName(
    argv,
    commands.map((c) => c.name),
  );
  const command = found && commands.find((c) => c.name === found.name);
  return found && command ? { command, rest: found.rest } : undefined;
}

/** The commands a run can see: the ones a test passes in, or the registry's, loaded on demand. */
interface CommandSource {
  names: readonly string[];
  load(name: string): Promise<Command>;
  /** What `--help` lists; the registry's comes from the generated index, so listing loads no command module. */
  summaries(): Promise<readonly CommandSummary[]>;
}

function sourceOf(commands: readonly Command[] | undefined): CommandSource {
  if (commands) {
    return {
      names: commands.map((c) => c.name),
      load: async (name) => {
        const c = commands.find((x) => x.name === name);
        if (!c) throw new UsageError(`unknown command "${name}"`);
        return c;
      },
      summaries: async () => commands,
    };
  }
  return {
    names: Object.keys(commandModules),
    load: async (name) => {
      const load = commandModules[name];
      if (!load) throw new UsageError(`unknown command "${name}"`);
      return (await load()).default;
    },
    summaries: () => registrySummaries(),
  };
}

/**
 * The registry's commands for `--help`, in registry order: from the generated index, loading only a command the
 * index does not know yet (a stale index costs time, never a missing line; its test asks for regeneration).
 */
async function registrySummaries(): Promise<CommandSummary[]> {
  const indexed = new Map(HELP_INDEX.map((c) => [c.name, c]));
  return Promise.all(
    Object.entries(commandModules).map(async ([name, load]) => indexed.get(name) ?? (await load()).default),
  );
}

function unknownCommand(argv: readonly string[], names: readonly string[]): UsageError {
  const words = argv.filter((a) => !a.startsWith("-")).slice(0, 3);
  const typed = words.join(" ");
  // Try the typed words at every length, so "versions uplod extra" still finds "versions upload".
  let guess: string | undefined;
  for (let n = words.length; n > 0 && !guess; n--) guess = closest(words.slice(0, n).join(" "), names);
  const nounMatches = names.filter((n) => n.split(" ")[0] === words[0]);
  if (!guess && nounMatches.length > 0) guess = nounMatches[0];
  // Far from everything: still name the nearest command, so the user has somewhere to start.
  if (!guess) guess = nearest(typed, names)?.candidate;
  return new UsageError(
    `unknown command "${typed}"`,
    guess
      ? `did you mean \`blastwall ${guess}\`? Run \`blastwall --help\` for the list.`
      : "run `blastwall --help` for the list of commands",
  );
}

function parseCommandArgs(
  command: Command,
  rest: string[],
): { options: ParsedOptionValues; positionals: string[]; help: boolean } {
  const config: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  if (command.json) config.json = { type: "boolean" };
  for (const [name, spec] of Object.entries(command.options)) {
    config[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === "string" && spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: config, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const flag = /'(-{1,2}[^']+)'/.exec(msg)?.[1];
    const guess = flag ? closest(flag.replace(/^-+/, ""), Object.keys(config)) : undefined;
    throw new UsageError(
      `${command.name}: ${msg.split(". ")[0]}`,
      guess
        ? `did you mean --${guess}? See \`blastwall ${command.name} --help\`.`
        : `see \`blastwall ${command.name} --help\``,
    );
  }
  const options: ParsedOptionValues = parsed.values;
  const help = options.help === true;
  if (!help) {
    const required = command.positionals.filter((p) => p.required);
    if (parsed.positionals.length < required.length) {
      const missing = required[parsed.positionals.length];
      throw new UsageError(
        `${command.name}: missing argument <${missing?.name ?? "arg"}>`,
        `usage: ${renderCommandHelp(command).split("\n")[0]}`,
      );
    }
    const variadic = command.positionals.some((p) => p.variadic);
    if (!variadic && parsed.positionals.length > command.positionals.length) {
      throw new UsageError(
        `${command.name}: unexpected argument "${parsed.positionals[command.positionals.length]}"`,
        `see \`blastwall ${command.name} --help\``,
      );
    }
  }
  return { options, positionals: parsed.positionals, help };
}

/**
 * Runs one command in this process exactly as `blastwall <argv>` would in `cwd`, with plain output (CI=true, no
 * colour), and resolves to its exit code and all it printed.
 *
 * @example
 * const { code, output } = await runInProcess(["flags", "list"], "examples/shop", { commands });
 */
export async function runInProcess(
  argv: string[],
  cwd: string,
  { env = process.env, commands }: Pick<RunCliOptions, "env" | "commands"> = {},
): Promise<{ code: number; output: string }> {
  const sink = new PassThrough();
  let output = "";
  sink.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  const code = await runCli({
    argv,
    cwd,
    stdout: sink,
    stderr: sink,
    env: { ...env, CI: "true", NO_COLOR: "1" },
    ...(commands ? { commands } : {}),
  });
  return { code, output: output.trim() };
}

/** Runs the CLI and resolves to its exit code; never calls process.exit itself. */
export async function runCli({
  argv,
  cwd = process.cwd(),
  env = process.env,
  commands,
  stdout = process.stdout,
  stderr = process.stderr,
  signal = new AbortController().signal,
}: RunCliOptions): Promise<number> {
  const wantsJson = argv.includes("--json");
  const out: Output = createOutput({ stdout: stdout as never, stderr: stderr as never, json: wantsJson, env });
  const source = sourceOf(commands);
  try {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      const target = argv[0] === "help" ? resolveName(argv.slice(1), source.names) : undefined;
      out.line(
        target
          ? renderCommandHelp(await source.load(target.name))
          : renderMainHelp(await source.summaries(), packageVersion()),
      );
      return 0;
    }
    if (argv[0] === "--version" || argv[0] === "-v") {
      out.line(packageVersion());
      return 0;
    }
    const found = resolveName(argv, source.names);
    if (!found) throw unknownCommand(argv, source.names);
    const command = await source.load(found.name);
    const { options, positionals, help } = parseCommandArgs(command, found.rest);
    if (help) {
      out.line(renderCommandHelp(command));
      return 0;
    }
    const invoke = (args: string[], dir: string) => runInProcess(args, dir, { env, ...(commands ? { commands } : {}) });
    return await command.run({ options, positionals, out, cwd, env, signal, invoke });
  } catch (err) {
    out.close();
    out.error(describeError(err));
    if (!(err instanceof BlastwallError) && env.BLASTWALL_DEBUG && err instanceof Error && err.stack)
      out.error(err.stack);
    return errorExitCode(err);
  } finally {
    out.close();
  }
}
