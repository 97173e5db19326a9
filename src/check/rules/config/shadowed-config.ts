import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CONFIG_FILE_NAMES } from "../../../project/wrangler-config.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "config/shadowed-config",
  severity: "warning",
  summary: "A folder holds two wrangler configs; wrangler reads one and silently ignores the other",
};

/** `wrangler.json` beats `wrangler.jsonc` beats `wrangler.toml`: the losers are never deployed. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    const name = basename(ctx.worker.path);
    if (!(CONFIG_FILE_NAMES as readonly string[]).includes(name)) return [];
    const others = CONFIG_FILE_NAMES.filter((n) => n !== name && existsSync(join(dirname(ctx.worker.path), n)));
    if (others.length === 0) return [];
    return [
      {
        rule: meta.id,
        severity: meta.severity,
        file: ctx.file,
        line: 1,
        message: `${ctx.file} sits next to ${others.join(" and ")}: wrangler reads ${name} and ignores ${others.length > 1 ? "them" : "it"}, so bindings or migrations written there never deploy (blastwall checks ${name} only)`,
        fix: `merge what ${others.join(" and ")} ${others.length > 1 ? "hold" : "holds"} into ${name} and delete ${others.length > 1 ? "them" : "it"}, or rename ${others.length > 1 ? "them" : "it"} to wrangler.<env>.<ext> and deploy with \`wrangler -c\``,
        data: { ignored: others },
      },
    ];
  },
});
