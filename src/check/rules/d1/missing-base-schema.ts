import { ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/**
 * A statement fails because a table that no migration creates is missing (it was made in the dashboard, by an ORM
 * push, or by hand): on a fresh database the rest of the history that uses it fails too. One finding per table.
 */
export default defineRule({
  meta: {
    id: "d1/missing-base-schema",
    severity: "warning",
    summary: "A migration uses a table that no migration creates: the history does not apply to a fresh database",
  },
  checkMigration: ({ file }) =>
    (file.missingBase ?? []).flatMap((m) => {
      const o = file.outcomes[m.index];
      if (!m.first || !o?.error) return [];
      const later = (file.missingBase ?? []).filter((x) => x.table === m.table).length - 1;
      return [
        {
          line: o.error.line,
          message: `uses table ${m.table}, which no migration before it creates (made outside migrations?): \`wrangler d1 migrations apply --local\` fails here on a fresh database, and every later statement on ${m.table} fails the same way${later > 0 ? ` (${later} more in this file)` : ""}, so they are not reported one by one and the checks on ${m.table} are skipped`,
          fix: `Supply the schema the history starts from: \`wrangler d1 export <db> --remote --no-data --output=base-schema.sql\`, keep only what no migration creates, and run \`blastwall check --base-schema base-schema.sql\` (its statements run before the first migration). Or add a first migration with \`CREATE TABLE IF NOT EXISTS ${ident(m.table)} (…);\`.`,
          data: { table: m.table },
        },
      ];
    }),
});
