import { basename, dirname } from "node:path";
import { relativeTo, templateTarget } from "../../../project/discover.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

/**
 * A folder whose only wrangler config is a template (`wrangler.toml.template`, `wrangler.jsonc.example`): wrangler
 * does not read it, so neither does check's folder search, and that Worker's bindings, Durable Object steps and D1
 * migrations go unchecked. Said once per template so "0 findings" never hides a Worker.
 */
export default defineRule({
  meta: {
    id: "config/unread-template",
    severity: "info",
    summary: "A folder holds only a wrangler config template, which wrangler and check do not read",
  },
  checkProject: ({ project }) =>
    (project.unreadTemplates ?? []).map((path): PlacedHit => {
      const file = relativeTo(project.root, path);
      const folder = relativeTo(project.root, dirname(path));
      const real = templateTarget(basename(path));
      return {
        file,
        line: 1,
        message: `${file} is a template that wrangler does not read, and ${folder === "." ? "the project folder" : folder} has no ${real}: the Worker it describes was not checked`,
        fix: `Check it as it will be deployed: \`blastwall check --config ${file}\` (or on the generated config, e.g. \`--config ${folder === "." ? real : `${folder}/${real}`}\` after your setup step writes it).`,
        data: { template: file, expects: real },
      };
    }),
});
