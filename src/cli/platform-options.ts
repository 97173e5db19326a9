import { basename, dirname } from "node:path";
import { BlastwallError, UsageError } from "../core/errors.js";
import { parseTarget, type TargetName } from "../core/target.js";
import { createPlatform } from "../platform/index.js";
import { findProjectDir } from "../platform/local/find-project.js";
import type { Capability, Platform, PlatformWith, QueueState } from "../platform/platform.js";
import { loadProject, relativeTo } from "../project/discover.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import type { CommandContext, OptionSpecs } from "./command.js";

/*
 * Shared option definitions: declare an option once here (`as const satisfies OptionSpecs`, so its type survives the
 * spread) and spread it into every command that takes it; the handler's `options` are typed from it.
 */

/** `--target`: where the Workers run. */
export const TARGET_OPTION = {
  target: {
    type: "string",
    description: "where the Workers run: local (default) or cloudflare",
    valueName: "<local|cloudflare>",
  },
} as const satisfies OptionSpecs;

/** `--project`: the project folder. */
export const PROJECT_OPTION = {
  project: {
    type: "string",
    description: "project folder holding the wrangler configs (default: found from cwd)",
    valueName: "<dir>",
  },
} as const satisfies OptionSpecs;

/** `--worker`: which Worker of the project. */
export const WORKER_OPTION = {
  worker: { type: "string", description: "Worker name (default: the project's HTTP Worker)", valueName: "<name>" },
} as const satisfies OptionSpecs;

/** `--env`: a wrangler environment. */
export const ENV_OPTION = {
  env: { type: "string", description: "wrangler environment", valueName: "<env>" },
} as const satisfies OptionSpecs;

/** `--var KEY=VALUE`, repeatable: vars baked into an uploaded version. */
export const VAR_OPTION = {
  var: {
    type: "string",
    multiple: true,
    description: "a var baked into the uploaded version, KEY=VALUE (repeatable); counts as a code change",
    valueName: "<KEY=VALUE>",
  },
} as const satisfies OptionSpecs;

/** `-y/--yes`, where wrangler has it: blastwall never prompts in these commands, so it is accepted and changes nothing. */
export const YES_OPTION = {
  yes: { type: "boolean", short: "y", description: "accepted as in wrangler; this command never prompts" },
} as const satisfies OptionSpecs;

/**
 * `--target`, `--project` and `--env`, shared by every command that goes through a Platform: on Cloudflare `--env`
 * names the wrangler environment (script `<name>-<env>`, the env's bindings) for every call the command makes.
 */
export const PLATFORM_OPTIONS = { ...TARGET_OPTION, ...PROJECT_OPTION, ...ENV_OPTION } as const satisfies OptionSpecs;

/** The options a hint repeats, as the user gave them. */
export interface GivenOptions {
  project?: string | undefined;
  target?: string | undefined;
  worker?: string | undefined;
  env?: string | undefined;
}

/**
 * A command to suggest in a hint, repeating the --project, --target, --worker and --env the user gave, so that
 * following it acts on the same project, platform and Worker.
 *
 * @example
 * hintCommand("local up", { project: "examples/shop" }); // "blastwall local up --project examples/shop"
 */
export function hintCommand(command: string, given: GivenOptions): string {
  const quote = (v: string) => (/^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v));
  const extra = (["project", "target", "worker", "env"] as const).flatMap((k) => {
    const v = given[k];
    return v ? [`--${k} ${quote(v)}`] : [];
  });
  return ["blastwall", command, ...extra].join(" ");
}

/** The part of a command's context a helper reads: its working directory and the options it defines. */
export type ContextWith<O extends OptionSpecs> = Pick<CommandContext<O>, "cwd" | "options">;

/** The `--target` a command acts on (default local). */
export function targetOf(ctx: ContextWith<typeof TARGET_OPTION>): TargetName {
  return parseTarget(ctx.options.target);
}

/**
 * The project dir and the Platform a command acts on, narrowed to the capabilities the command names: calling a
 * method of another capability does not compile, so each command's list says what it can touch.
 *
 * @example
 * const { platform } = await platformFor(ctx, ["queues"]);
 * await platform.pauseQueue("orders"); // platform.deploy(…) would not compile
 */
export function platformFor<C extends Capability>(
  ctx: ContextWith<typeof PLATFORM_OPTIONS>,
  uses: readonly C[],
): Promise<{ platform: PlatformWith<C>; projectDir: string }>;
export async function platformFor(
  ctx: ContextWith<typeof PLATFORM_OPTIONS>,
): Promise<{ platform: Platform; projectDir: string }> {
  const projectDir = findProjectDir(ctx.cwd, ctx.options.project);
  const env = ctx.options.env;
  return {
    platform: await createPlatform({
      target: targetOf(ctx),
      projectDir,
      cwd: ctx.cwd,
      ...(env ? { env } : {}),
      // `local up` takes --project only; the hint repeats it as the user gave it.
      localStartCommand: hintCommand("local up", { project: ctx.options.project }),
    }),
    projectDir,
  };
}

function nameOf(w: WranglerConfig): string {
  return w.name ?? basename(dirname(w.path));
}

/**
 * The Worker a command is about: `--worker`, else the project's HTTP Worker (the first one, in config order, that
 * consumes no queue), which is also what the local edge's router answers with by default.
 */
export function workerFor(
  ctx: ContextWith<typeof WORKER_OPTION>,
  projectDir: string,
): { name: string; config: WranglerConfig } {
  const project = loadProject(projectDir);
  const wanted = ctx.options.worker;
  if (wanted) {
    const config = project.workers.find((w) => nameOf(w) === wanted);
    if (!config) {
      throw new BlastwallError(`no Worker named "${wanted}" under ${projectDir}`, {
        fix: `use one of: ${project.workers.map((w) => `${nameOf(w)} (${relativeTo(project.root, w.path)})`).join(", ")}`,
      });
    }
    return { name: wanted, config };
  }
  const config = project.workers.find((w) => w.queues.consumers.length === 0) ?? project.workers[0];
  if (!config) throw new BlastwallError(`no Worker under ${projectDir}`, { fix: "pass --project <dir>" });
  return { name: nameOf(config), config };
}

/** A short id for tables: the first 8 characters, like wrangler prints. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Pads columns of a small table for `out.line`. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "));
}

/** `--database`: which D1 database of the Worker. */
export const DATABASE_OPTION = {
  database: {
    type: "string",
    description: "D1 database: binding or database_name (default: the Worker's only one)",
    valueName: "<name>",
  },
} as const satisfies OptionSpecs;

/** The D1 database a command is about: the one named (by `--database` or a positional), else the Worker's only one. */
export function databaseFor(config: WranglerConfig, wanted: string | undefined): string {
  const list = config.d1_databases;
  if (wanted) {
    const hit = list.find((d) => d.binding === wanted || d.database_name === wanted || d.database_id === wanted);
    if (!hit) {
      throw new BlastwallError(`${config.name ?? config.path} has no D1 database "${wanted}"`, {
        location: { file: config.path },
        fix: `use one of: ${list.map((d) => d.database_name ?? d.binding).join(", ") || "(none declared)"}`,
      });
    }
    return hit.database_name ?? hit.binding;
  }
  const [only] = list;
  if (list.length !== 1 || !only) {
    throw new UsageError(
      list.length === 0
        ? `${config.name ?? config.path} declares no D1 database`
        : "this Worker has several D1 databases",
      `pass --database with one of: ${list.map((d) => d.database_name ?? d.binding).join(", ") || "(none)"}`,
    );
  }
  return only.database_name ?? only.binding;
}

/** Prints one queue's state after a lever was pulled: JSON, or one line with backlog and DLQ depth. */
export function reportQueueState(ctx: Pick<CommandContext, "options" | "out">, state: QueueState): void {
  if (ctx.options.json) {
    ctx.out.data(state);
    return;
  }
  const backlog = state.backlog === undefined ? "" : `, backlog ${state.backlog}`;
  const dlq = state.dlqDepth === undefined ? "" : `, DLQ ${state.deadLetterQueue ?? ""} ${state.dlqDepth}`;
  ctx.out.line(`${state.queue}: ${state.paused ? "paused" : "delivering"}${backlog}${dlq}`);
}
