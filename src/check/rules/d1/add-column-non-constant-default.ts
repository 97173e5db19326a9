import Database from "better-sqlite3";
import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/**
 * Whether SQLite refuses `default` for a column added to a table that has rows: CURRENT_TIMESTAMP, `(datetime('now'))`
 * or any other expression that is not a constant. Asked of SQLite itself, on a one-row table.
 */
function nonConstant(expr: string): boolean {
  const db = new Database(":memory:");
  try {
    db.exec("CREATE TABLE probe (x); INSERT INTO probe VALUES (1);");
    db.exec(`ALTER TABLE probe ADD COLUMN c DEFAULT (${expr})`);
    return false;
  } catch (err) {
    return /non-constant default/i.test((err as Error).message);
  } finally {
    db.close();
  }
}

/**
 * `ALTER TABLE t ADD COLUMN c … DEFAULT CURRENT_TIMESTAMP`: SQLite accepts it on an empty table and refuses it
 * ("Cannot add a column with non-constant default") on one with rows, so the migration passes locally and fails on
 * production.
 */
export default defineRule({
  meta: {
    id: "d1/add-column-non-constant-default",
    severity: "error",
    summary: "A column with a non-constant default (CURRENT_TIMESTAMP, an expression) is added to an existing table",
  },
  checkMigration: ({ file }) =>
    flatChanges(file).flatMap((c) => {
      if (c.kind !== "add-column" || c.viaRebuild || c.column.default === null) return [];
      if (!existedBefore(file, c.table) || emptyAt(file, c.table, c.line) || !nonConstant(c.column.default)) return [];
      const t = ident(c.table);
      const col = ident(c.column.name);
      const type = c.column.type || "TEXT";
      return [
        {
          line: c.line,
          message: `adds ${c.table}.${c.column.name} with DEFAULT ${c.column.default}, which is not a constant: SQLite accepts that on an empty table and refuses it with "Cannot add a column with non-constant default" on one with rows, so it passes locally and fails on production`,
          fix: `Add it without the default, or with a constant one: \`ALTER TABLE ${t} ADD COLUMN ${col} ${type};\`, then fill the old rows with \`UPDATE ${t} SET ${col} = ${c.column.default} WHERE ${col} IS NULL;\` (in batches on a large table) and have the code set ${c.column.name} on every INSERT.`,
          data: { table: c.table, column: c.column.name, default: c.column.default },
        },
      ];
    }),
});
