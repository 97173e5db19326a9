import { type CodeMentions, runningVersion } from "../../d1/code-mentions.js";
import { addedBefore, carriedInto, readdedAfter, wipedByRebuild } from "../../d1/net-effect.js";
import { existedBefore, flatChanges, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** A rebuild that keeps a column but copies a constant into it: its values are gone, as if it were dropped. */
function wiped(file: MigrationFile, code: CodeMentions | undefined): RuleHit[] {
  return file.changes.flatMap((c) => {
    if (c.kind !== "modify-table" || !existedBefore(file, c.table)) return [];
    return wipedByRebuild(file, c).map((w) => {
      const running = runningVersion(code, w.column, `reads of it get ${w.value} instead of the stored values`);
      return {
        line: w.line,
        message: `the rebuild of ${c.table} copies ${w.value} into ${w.column} instead of its values: every ${c.table}.${w.column} is lost, and ${running.clause}`,
        fix: `Copy the column in the rebuild: select ${ident(w.column)} (converted if its type changed, e.g. \`CAST(${ident(w.column)} AS TEXT)\`) where the INSERT … SELECT has ${w.value}. If the values must really go, do it in its own contract migration after the code stops using them.`,
        data: { table: c.table, column: w.column, copies: w.value, namedInCode: !running.unused },
        ...(running.unused ? { severity: "warning" as const } : {}),
      };
    });
  });
}

/**
 * `ALTER TABLE t DROP COLUMN c` where t was made outside the migrations (the replay cannot run it): t exists in
 * production with its rows, so the column's values go like any other's.
 */
function onTableMadeOutside(file: MigrationFile, code: CodeMentions | undefined): RuleHit[] {
  return (file.missingBase ?? []).flatMap(({ index, table, via }) => {
    const stmt = file.statements[index];
    const t = stmt ? tokenize(stmt.sql, 8) : [];
    if (via || !stmt || t[0]?.value !== "ALTER" || t[1]?.value !== "TABLE" || t[3]?.value !== "DROP") return [];
    const column = (t[4]?.value === "COLUMN" ? t[5] : t[4])?.text;
    if (column === undefined || t[2]?.text.toLowerCase() !== table.toLowerCase()) return [];
    const running = runningVersion(code, column, `queries that name it fail with "no such column"`, { table });
    return [
      {
        line: stmt.line,
        message: `drops column ${table}.${column} of a table made outside the migrations (it holds production rows); ${running.clause}${running.unused ? ", but its values are gone for good" : ""}`,
        fix: `Contract in two releases: 1) deploy code that stops reading and writing ${table}.${column}; 2) once that version serves 100%, ship the DROP COLUMN alone in a later migration. To have blastwall check ${table} like the others, give its schema with \`--base-schema\`.`,
        data: { table, column, namedInCode: !running.unused, outsideMigrations: true },
        ...(running.unused ? { severity: "warning" as const } : {}),
      },
    ];
  });
}

/** A column of an existing table disappears (ALTER TABLE … DROP COLUMN, or a rebuild without it), or a rebuild wipes its values. */
export default defineRule({
  meta: { id: "d1/drop-column", severity: "error", summary: "A migration drops a column that code may still use" },
  checkMigration: ({ file, code }) => [
    ...wiped(file, code),
    ...onTableMadeOutside(file, code),
    ...flatChanges(file).flatMap((c): RuleHit[] => {
      // A column this file added before dropping it is scratch space: no version held or named it.
      if (c.kind !== "drop-column" || !existedBefore(file, c.table)) return [];
      if (!c.viaRebuild && addedBefore(file, c.table, c.column.name, c.line) !== undefined) return [];
      const running = runningVersion(code, c.column.name, `queries that name it fail with "no such column"`, {
        table: c.table,
      });
      // Nothing queries it, and the rebuild's copy carries its values into a new column: nothing is lost.
      const rebuild = file.changes.find((r) => r.kind === "modify-table" && r.line === c.line && r.table === c.table);
      if (
        c.viaRebuild &&
        running.unused &&
        rebuild?.kind === "modify-table" &&
        carriedInto(file, rebuild, c.column.name)
      )
        return [];
      const again = c.viaRebuild ? undefined : readdedAfter(file, c.table, c.column.name, c.line);
      if (again !== undefined) {
        const [t, col] = [ident(c.table), ident(c.column.name)];
        return [
          {
            line: c.line,
            message: `drops column ${c.table}.${c.column.name} and adds it again at line ${again.line}: queries that name it keep working, but every stored ${c.column.name} is lost — each existing row of ${c.table} gets ${again.column.default ?? "NULL"} instead`,
            fix: `To change the column's definition and keep its values, move them across: \`ALTER TABLE ${t} RENAME COLUMN ${col} TO ${ident(`${c.column.name}_old`)}; ALTER TABLE ${t} ADD COLUMN <the new definition of ${col}>; UPDATE ${t} SET ${col} = ${ident(`${c.column.name}_old`)}; ALTER TABLE ${t} DROP COLUMN ${ident(`${c.column.name}_old`)};\` (the DROP can wait for a later release), or rebuild the table with an INSERT … SELECT that copies ${col}.`,
            data: { table: c.table, column: c.column.name, readdedAt: again.line, namedInCode: !running.unused },
          },
        ];
      }
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
  ],
});
