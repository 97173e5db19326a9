import { dirname, relative, sep } from "node:path";
import { applyScripts, packagesUp } from "../../d1/order-apply-scripts.js";
import type { FolderHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const slash = (p: string) => p.split(sep).join("/");

/** Script names that say which database they are for: production, a remote stage, or a deploy. */
const FOR_REMOTE = /prod|remote|deploy|release|publish|live|staging/i;
const FOR_LOCAL = /local|dev(?!ice)|test|seed/i;

/**
 * The wrangler version a package asks for, from its package.json or one above it: [major, minor], or undefined when
 * none names wrangler (npx then runs the latest).
 */
function wranglerWanted(pkg: string): [number, number] | undefined {
  for (const { json } of packagesUp(dirname(pkg))) {
    const deps = (key: string) => {
      const d = json?.[key];
      return d && typeof d === "object" ? (d as Record<string, unknown>).wrangler : undefined;
    };
    const spec = deps("devDependencies") ?? deps("dependencies");
    const m = typeof spec === "string" ? /(\d+)(?:\.(\d+))?/.exec(spec) : null;
    if (m) return [Number(m[1]), Number(m[2] ?? 0)];
  }
  return undefined;
}

/** wrangler 3.33 made `d1 migrations apply` local unless `--remote` is given (workers-sdk #4930). */
const localByDefault = (v: [number, number] | undefined) => !v || v[0] > 3 || (v[0] === 3 && v[1] >= 33);

/**
 * A package.json script meant for a remote database (named for production, a deploy or a remote stage) that runs
 * `wrangler d1 migrations apply` with neither `--remote` nor `--local`: since wrangler 3.33 it applies the
 * migrations to the local database only, so the database it is for never gets them.
 */
export default defineRule({
  meta: {
    id: "d1/apply-not-remote",
    severity: "warning",
    summary:
      "A production migrate script runs `wrangler d1 migrations apply` without `--remote`, so it applies locally",
  },
  checkFolder({ dir, names }) {
    if (!dir.exists || names.length === 0) return [];
    const root = dir.root;
    const configs = new Set(dir.configs.map((c) => c.path));
    const hits: FolderHit[] = [];
    const seen = new Set<string>();
    for (const s of applyScripts(root)) {
      if (s.remote || s.local || !s.config || !configs.has(s.config)) continue;
      if (!FOR_REMOTE.test(s.script) || FOR_LOCAL.test(s.script) || seen.has(`${s.pkg}:${s.script}`)) continue;
      const version = wranglerWanted(s.pkg);
      if (!localByDefault(version)) continue;
      seen.add(`${s.pkg}:${s.script}`);
      const db = s.database ?? "<database>";
      const pinned = version ? `wrangler ${version.join(".")} (asked for by package.json)` : "wrangler 3.33 and later";
      hits.push({
        file: slash(relative(root, s.pkg)),
        line: s.line,
        message: `the \`${s.script}\` script runs \`wrangler d1 migrations apply ${db}\` without \`--remote\`: ${pinned} applies migrations to the local database unless told otherwise, so the remote database this script is named for never gets ${dir.rel}/, and code deployed after it fails on the tables and columns those migrations add`,
        fix: `Add \`--remote\` to the command in \`${s.script}\` (\`wrangler d1 migrations apply ${db} --remote\`), then run it once and compare \`wrangler d1 migrations list ${db} --remote\` with the folder.`,
        data: { script: s.script, ...(s.database ? { database: s.database } : {}) },
      });
    }
    return hits;
  },
});
