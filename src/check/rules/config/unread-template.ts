import { basename, dirname } from "node:path";
import { relativeTo, templateTarget } from "../../../project/discover.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

/**
 * A folder whose only wrangler config is a template (`wrangler.toml.template`, `wrangler.example.json`): wrangler
 * does not read it, a setup step writes the real config from it. check reads the template in its place and says so
 * (the generated config may differ), or, when the template does not parse, says that its Worker went unchecked.
 */
export default defineRule({
  meta: {
    id: "config/unread-template",
    severity: "info",
    summary: "A folder holds only a wrangler config template, which wrangler does not read",
  },
  checkProject: ({ project }) => {
    const rel = (p: string) => relativeTo(project.root, p);
    const where = (p: string) => {
      const folder = rel(dirname(p));
      return { folder: folder === "." ? "the project folder" : folder, real: templateTarget(basename(p)) };
    };
    const read = (project.templates?.read ?? []).map((path): PlacedHit => {
      const { folder, real } = where(path);
      return {
        file: rel(path),
        line: 1,
        message: `${rel(path)} is a template that wrangler does not read, and ${folder} has no ${real}: checked the template in its place, so findings may differ from the config your setup step writes`,
        fix: `To check exactly what deploys, run your setup step first (it writes ${real}), or pass the generated file with \`blastwall check --config <file>\`.`,
        data: { template: rel(path), expects: real, read: true },
      };
    });
    const unreadable = (project.templates?.unreadable ?? []).map(({ path, reason }): PlacedHit => {
      const { folder, real } = where(path);
      return {
        file: rel(path),
        line: 1,
        message: `${rel(path)} is a template that wrangler does not read, ${folder} has no ${real}, and the template does not parse (${reason}): the Worker it describes was not checked`,
        fix: `Run your setup step so that ${real} exists, then check again (or \`blastwall check --config <generated file>\`).`,
        data: { template: rel(path), expects: real, read: false },
      };
    });
    return [...read, ...unreadable];
  },
});
