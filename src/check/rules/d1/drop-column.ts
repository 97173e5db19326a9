import { runningVersion } from "../../d1/code-mentions.js";
import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** A column of an existing table disappears (ALTER TABLE … DROP COLUMN, or a rebuild without it). */
export default defineRule({
  meta: { id: "d1/drop-column", severity: "error", summary: "A migration drops a column that code may still use" },
  checkMigration: ({ file, code }) =>
    flatChanges(file).flatMap((c) => {
      if (c.kind !== "drop-column" || !existedBefore(file, c.table)) return [];
      const running = runningVersion(code, c.column.name, `queries that name it fail with "no such column"`);
      return [
        {
          line: c.line,
          message: `drops column ${c.table}.${c.column.name}${c.viaRebuild ? " (the rebuild leaves it out)" : ""}; ${running.clause}${running.unused ? ", but its values are gone for good" : ""}`,
          fix: `Contract in two releases: 1) deploy code that stops reading and writing ${c.table}.${c.column.name}; 2) once that version serves 100%, ship \`ALTER TABLE ${ident(c.table)} DROP COLUMN ${ident(c.column.name)};\` alone in a later migration.`,
          data: { table: c.table, column: c.column.name, namedInCode: !running.unused },
          ...(running.unused ? { severity: "warning" as const } : {}),
        },
      ];
    }),
});
