import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { relativeTo, type UnreadableConfig } from "../../../project/discover.js";
import { CONFIG_FILE_NAMES } from "../../../project/wrangler-config.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

/** The other format's name for a config whose text is in that format (JSON in a `.toml`, TOML in a `.json`). */
function misnamed(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8")
      .replace(/^\uFEFF/, "")
      .trimStart();
  } catch {
    return undefined;
  }
  if (path.endsWith(".toml") && text.startsWith("{")) return path.replace(/\.toml$/, ".jsonc");
  if (/\.jsonc?$/.test(path) && /^(?:#|\[|[\w-]+\s*=)/.test(text)) return path.replace(/\.jsonc?$/, ".toml");
  return undefined;
}

/**
 * A config found beside others that does not parse. check goes on with the rest (one broken file must not hide a
 * monorepo) and says which Worker went unchecked. wrangler fails on the same file: a folder's own config breaks
 * every deploy from there (error); a `wrangler -c` variant breaks the deploys that name it (warning).
 */
export default defineRule({
  meta: {
    id: "config/unreadable-config",
    severity: "error",
    summary: "A wrangler config does not parse: wrangler fails on it, and its Worker was not checked",
  },
  checkProject: ({ project }) =>
    (project.unreadable ?? []).map(({ path, reason, line = 1, column, fix }: UnreadableConfig): PlacedHit => {
      const file = relativeTo(project.root, path);
      const own = (CONFIG_FILE_NAMES as readonly string[]).includes(basename(path));
      const other = misnamed(path);
      const deploy = own ? "`wrangler deploy` in its folder" : `\`wrangler deploy -c ${file}\``;
      return {
        file,
        line,
        ...(column === undefined ? {} : { column }),
        ...(own ? {} : { severity: "warning" }),
        message: `${file} does not parse (${reason}): ${deploy} fails on it, and blastwall did not check the Worker it describes (the project's other configs were checked)`,
        fix: other
          ? `${file} holds ${other.endsWith(".toml") ? "TOML" : "JSON"}: rename it to ${relativeTo(project.root, other)}, the name whose format wrangler reads it in`
          : (fix ?? `correct the syntax at ${file}:${line}`),
        data: { reason, ...(other ? { rename: relativeTo(project.root, other) } : {}) },
      };
    }),
});
