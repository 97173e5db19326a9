import { runningVersion } from "../../d1/code-mentions.js";
import { existedBefore, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import type { Change, Located } from "../../sql/diff.js";
import { defineRule } from "../rule.js";

type Rename = Located<Extract<Change, { kind: "rename-table" }>>;

/**
 * `ALTER TABLE t RENAME TO t_old; ALTER TABLE t_new RENAME TO t;` (a rebuild that keeps the old table): the name t
 * is taken again at once, so queries on it keep working, but SQLite re-points every foreign key that referenced t
 * at t_old.
 */
function swapped(file: MigrationFile, c: Rename): RuleHit[] | undefined {
  const retaken = file.changes.some(
    (x) => x.kind === "rename-table" && x.line > c.line && x.table.toLowerCase() === c.from.toLowerCase(),
  );
  if (!retaken) return undefined;
  const children = file.renamedChildren?.get(c.table.toLowerCase()) ?? [];
  if (children.length === 0) return [];
  const list = children.join(", ");
  return [
    {
      line: c.line,
      message: `renames ${c.from} to ${c.table} and puts another table in its place: queries on ${c.from} keep working, but SQLite re-points the foreign keys of ${list} at ${c.table}, so their rows for new ${c.from} rows fail with "FOREIGN KEY constraint failed" and ${c.table} cannot be dropped while they reference it`,
      fix: `Rebuild ${c.from} the way that keeps its children's references: copy into the new table, \`DROP TABLE ${ident(c.from)};\`, then rename the new table to ${ident(c.from)} (the children's REFERENCES ${c.from} then point at it), keeping ${list}'s rows as d1/rebuild-cascade describes.`,
      data: { from: c.from, to: c.table, children },
    },
  ];
}

/** ALTER TABLE … RENAME TO on a table that code uses (rebuilds are reported as modify-table, not here). */
export default defineRule({
  meta: { id: "d1/rename-table", severity: "error", summary: "A migration renames a table that code may still use" },
  checkMigration: ({ file, code }) =>
    file.changes.flatMap((c) => {
      if (c.kind !== "rename-table" || !existedBefore(file, c.from)) return [];
      const swap = swapped(file, c);
      if (swap) return swap;
      const running = runningVersion(code, c.from, `queries on ${c.from} fail until the new code is live`, {
        alsoNamed: [c.table],
      });
      const from = ident(c.from);
      const to = ident(c.table);
      return [
        {
          line: c.line,
          message: `renames table ${c.from} to ${c.table}; ${running.clause}`,
          fix: `Expand/contract instead: 1) \`CREATE TABLE ${to} (…same columns…);\` 2) deploy code that writes to both ${c.from} and ${c.table} and reads ${c.table} falling back to ${c.from}; 3) backfill in batches: \`INSERT INTO ${to} SELECT * FROM ${from} WHERE rowid NOT IN (SELECT rowid FROM ${to}) LIMIT 1000;\` until 0 rows; 4) deploy code that only uses ${c.table}; 5) later, \`DROP TABLE ${from};\`. Or keep the old name with \`CREATE VIEW ${from} AS SELECT * FROM ${to};\` for readers during the switch.`,
          data: { from: c.from, to: c.table, namedInCode: !running.unused },
          ...(running.unused ? { severity: "info" as const } : {}),
        },
      ];
    }),
});
