import { defineCommand } from "../../command.js";
import { PLATFORM_OPTIONS, platformFor, table } from "../../platform-options.js";

/** `blastwall flags list`: the ops flags in force, who flipped each and when. */
export default defineCommand({
  name: "flags list",
  group: "Incident",
  summary: "List ops flags (kill switches) with their value, actor and time",
  options: { ...PLATFORM_OPTIONS },
  json: true,
  examples: ["blastwall flags list", "blastwall flags list --json"],
  run: async (ctx) => {
    const { platform } = await platformFor(ctx, ["flags"]);
    const flags = await platform.listFlags();
    if (ctx.options.json) {
      ctx.out.data({ flags });
      return 0;
    }
    if (flags.length === 0) {
      ctx.out.line("no ops flags set");
      return 0;
    }
    const show = (v: string) => (v === "1" ? "on" : v === "0" ? "off" : v);
    const rows = [
      ["flag", "value", "updated", "by"],
      ...flags.map((f) => [f.name, show(f.value), f.updatedAt ?? "", f.actor ?? ""]),
    ];
    for (const l of table(rows)) ctx.out.line(l);
    return 0;
  },
});
