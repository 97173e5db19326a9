import { isSingleton } from "../../d1/row-bounds.js";
import { existedBefore, failsOnlyForMissingBase, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** UPDATE or DELETE without a WHERE on a table that existed before the migration. */
export default defineRule({
  meta: { id: "d1/unbounded-write", severity: "error", summary: "UPDATE or DELETE without WHERE on an existing table" },
  checkMigration: ({ file, dataLabel }) =>
    file.outcomes.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || (o.verb !== "update" && o.verb !== "delete") || o.hasWhere || !o.target) return [];
      // A write to a table made outside the migrations fails on the replay, and empties the table on production.
      if (o.error && !failsOnlyForMissingBase(file, i, o.target)) return [];
      if (!existedBefore(file, o.target)) return [];
      // An UPDATE of a table that holds one row at most (`id … CHECK (id = 1)`) rewrites that row, nothing more.
      if (o.verb === "update" && isSingleton(file.tablesAfter?.get(o.target.toLowerCase()))) return [];
      const t = ident(o.target);
      const rows = file.data?.statements[i]?.rowsChanged;
      const counted = rows !== undefined ? ` (${rows} rows on ${dataLabel ?? "--data"})` : "";
      return o.verb === "delete"
        ? [
            {
              line: stmt.line,
              column: stmt.column,
              message: `DELETE FROM ${o.target} without WHERE deletes every row${counted}, and fires every ON DELETE CASCADE on it`,
              fix: `Say which rows: \`DELETE FROM ${t} WHERE <condition>;\`, batched as \`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE <condition> LIMIT 1000);\`. If the table really must be emptied, drop it in a contract release instead.`,
              data: { table: o.target, ...(rows !== undefined ? { rows } : {}) },
            },
          ]
        : [
            {
              line: stmt.line,
              column: stmt.column,
              severity: "warning" as const,
              message: `UPDATE ${o.target} without WHERE rewrites every row${counted} in one statement, inside the migration's transaction`,
              fix: `Backfill in batches outside the schema migration: \`UPDATE ${t} SET … WHERE rowid IN (SELECT rowid FROM ${t} WHERE <not yet done> LIMIT 1000);\`, repeated until it changes 0 rows.`,
              data: { table: o.target, ...(rows !== undefined ? { rows } : {}) },
            },
          ];
    }),
});
