import { userInfo } from "node:os";
import { UsageError } from "../../../core/errors.js";
import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor } from "../../platform-options.js";

const VALUES: Record<string, string> = { on: "1", off: "0", "1": "1", "0": "0", true: "1", false: "0" };

function defaultActor(env: NodeJS.ProcessEnv): string {
  try {
    return env.USER ?? userInfo().username;
  } catch {
    return "cli";
  }
}

/** `blastwall flags set <name> on|off`: flips a kill switch without a deploy. */
export default defineCommand({
  name: "flags set",
  group: "Incident",
  summary: "Turn an ops flag on or off (e.g. disable_writes) without a deploy",
  positionals: [
    { name: "name", description: "flag name, e.g. disable_writes", required: true },
    { name: "value", description: "on or off", required: true },
  ],
  options: {
    ...PLATFORM_OPTIONS,
    actor: { type: "string", description: "who flips it (default: $USER)", valueName: "<name>" },
  },
  json: true,
  examples: ["blastwall flags set disable_writes on --actor oncall-ana", "blastwall flags set disable_writes off"],
  run: async (ctx) => {
    const [name = "", raw = ""] = ctx.positionals;
    const value = VALUES[raw.toLowerCase()];
    if (value === undefined)
      throw new UsageError(`flag value "${raw}" is not on or off`, `write: blastwall flags set ${name} on`);
    const { platform } = await platformFor(ctx, ["flags"]);
    const state = await platform.setFlag(name, value, ctx.options.actor ?? defaultActor(ctx.env));
    if (ctx.options.json) ctx.out.data(state);
    else
      ctx.out.line(
        `${state.name} is ${state.value === "1" ? "on" : "off"}${state.actor ? ` (by ${state.actor})` : ""}`,
      );
    return 0;
  },
});
