import type { Output } from "../core/console.js";

export type CommandGroup = "Check" | "Release" | "Local edge" | "Incident" | "Project";

/** Help groups in the order `blastwall --help` shows them. */
export const GROUP_ORDER: readonly CommandGroup[] = ["Check", "Release", "Local edge", "Incident", "Project"];

interface OptionSpecBase {
  short?: string;
  description: string;
  /** Shown in help, e.g. `<dir>`. */
  valueName?: string;
}

/** A `--name <value>` option; `multiple` collects every occurrence into a list. */
export interface StringOptionSpec extends OptionSpecBase {
  type: "string";
  multiple?: boolean;
}

/** A `--name` switch: `true` when given, else `false`. */
export interface BooleanOptionSpec extends OptionSpecBase {
  type: "boolean";
}

export type OptionSpec = StringOptionSpec | BooleanOptionSpec;

/** A command's option definitions, by long name. Declare shared ones `as const satisfies OptionSpecs`. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The value a handler receives for one option, from its definition. */
export type OptionValue<S extends OptionSpec> = S extends BooleanOptionSpec
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : string | undefined;

/** The options a handler receives: one typed value per definition, plus `json` (false unless the command takes it). */
export type OptionValuesOf<O extends OptionSpecs> = { readonly [K in keyof O]: OptionValue<O[K]> } & {
  readonly json: boolean;
};

/** What `node:util` parseArgs hands over, before the definitions type it. */
export type ParsedOptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining argument. */
  variadic?: boolean;
}

export interface CommandContext<O extends OptionSpecs = OptionSpecs> {
  /** Parsed `--flags`, keyed by long name, typed from the command's definitions. */
  options: OptionValuesOf<O>;
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

/** What a command file declares; `O` is inferred from `options`, so the handler's `options` are typed. */
export interface CommandOptions<O extends OptionSpecs> {
  /** noun-verb, e.g. "versions upload"; a single word for top-level verbs like "check". */
  name: string;
  group: CommandGroup;
  summary: string;
  description?: string;
  options?: O;
  positionals?: PositionalSpec[];
  /** The command returns data and accepts `--json`. */
  json?: boolean;
  examples?: string[];
  /** Resolves to the exit code: 0 ok, 1 a problem found, 2 unusable input. */
  run: (ctx: CommandContext<O>) => Promise<number>;
}

/** A registered command, its option types erased: the CLI hands it parseArgs' values. */
export interface Command {
  name: string;
  group: CommandGroup;
  summary: string;
  description?: string;
  options: OptionSpecs;
  positionals: PositionalSpec[];
  json: boolean;
  examples: string[];
  run: (ctx: Omit<CommandContext, "options"> & { options: ParsedOptionValues }) => Promise<number>;
}

type NoOptions = Readonly<Record<never, OptionSpec>>;

/**
 * Declares one CLI command. Each command lives in its own file under `src/cli/commands/<noun>/<verb>.ts`
 * and is listed once in `src/cli/registry.ts`. The handler's `options` are typed from the definitions: a string
 * option is `string | undefined`, a `multiple` one `string[]`, a boolean one `boolean`; a name that is not
 * defined does not compile.
 *
 * @example
 * export default defineCommand({
 *   name: "flags list", group: "Incident", summary: "List ops flags", json: true,
 *   options: { ...PLATFORM_OPTIONS, actor: { type: "string", description: "who", valueName: "<name>" } },
 *   run: async ({ options, out }) => { out.line(options.actor ?? "nobody"); return 0; },
 * });
 */
export function defineCommand<const O extends OptionSpecs = NoOptions>({
  options,
  positionals = [],
  json = false,
  examples = [],
  run,
  ...rest
}: CommandOptions<O>): Command {
  const specs: OptionSpecs = options ?? {};
  return {
    options: specs,
    positionals,
    json,
    examples,
    ...rest,
    run: (ctx) => run({ ...ctx, options: typedOptions<O>(specs, ctx.options) }),
  };
}

/** Gives every defined option its typed value: absent booleans are false, absent lists empty. */
function typedOptions<O extends OptionSpecs>(specs: OptionSpecs, raw: ParsedOptionValues): OptionValuesOf<O> {
  const values: Record<string, string | boolean | string[] | undefined> = { json: raw.json === true };
  for (const [name, spec] of Object.entries(specs)) {
    const v = raw[name];
    if (spec.type === "boolean") values[name] = v === true;
    else if (spec.multiple) values[name] = (Array.isArray(v) ? v : [v]).filter((x) => typeof x === "string");
    else values[name] = typeof v === "string" ? v : undefined;
  }
  // The loop above gives each definition the value type OptionValue<> names for it.
  return values as OptionValuesOf<O>;
}
