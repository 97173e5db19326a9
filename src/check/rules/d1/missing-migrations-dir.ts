import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/missing-migrations-dir",
  severity: "error",
  summary: "A D1 binding's migrations_dir does not exist",
};

/** `migrations_dir` set in the config, but no such folder: nothing can be checked, and wrangler fails the same way. */
export default defineRule({
  meta,
  checkFolder({ dir }) {
    if (dir.exists || !dir.declaredAt.explicit) return [];
    return [
      {
        file: dir.declaredAt.file,
        line: dir.declaredAt.line,
        column: dir.declaredAt.column,
        message: `migrations_dir "${dir.rel}" of ${dir.databases.join(", ")} does not exist, so no migration of this database can be checked`,
        fix: `Create ${dir.rel} with \`wrangler d1 migrations create <db> <name>\`, or point migrations_dir at the folder that holds the .sql files (it is relative to the config file).`,
      },
    ];
  },
});
