import {
  contextFor,
  followsRename,
  uniqueImpliedBefore,
  uniqueOnDefaultedNewColumn,
  uniqueOnNewColumns,
  uniqueOnNullColumn,
  writtenColumns,
} from "../../d1/classify.js";
import { nullByCopy, uniqueByCopy } from "../../d1/copied-keys.js";
import { dedupedFirst, numberedWithin, partialOnlyNewRows, partialRowsDeleted } from "../../d1/net-effect.js";
import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, flatChanges, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** Whether a statement of the file before `index` is `ALTER TABLE <table> ADD [COLUMN] <column>` (even one that failed). */
function addedEarlier(file: MigrationFile, table: string, column: string, index: number): boolean {
  const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
  return file.statements.slice(0, index).some((s) => {
    const t = tokenize(s.sql, 8).map((x) => (x.kind === "word" ? x.value : x.text));
    const at = t[4] === "COLUMN" ? 5 : 4;
    return t[0] === "ALTER" && t[1] === "TABLE" && same(t[2], table) && t[3] === "ADD" && same(t[at], column);
  });
}

/**
 * `CREATE UNIQUE INDEX … ON t` where t was made outside the migrations (the replay cannot run it): t exists in
 * production with its rows, so the index can fail on duplicates like any other.
 */
function onTableMadeOutside(file: MigrationFile): RuleHit[] {
  return (file.missingBase ?? []).flatMap(({ index, table, via }) => {
    const stmt = file.statements[index];
    const tokens = stmt ? tokenize(stmt.sql, 64) : [];
    if (via || !stmt || file.outcomes[index]?.verb !== "create-index" || tokens[1]?.value !== "UNIQUE") return [];
    const open = tokens.findIndex((t) => t.value === "(");
    const cols = tokens
      .slice(open + 1)
      .flatMap((t) => (t.depth === 1 && (t.kind === "ident" || t.kind === "word") ? [t.text] : []));
    // A column this file adds before the index holds NULL in every existing row: nothing can collide.
    if (cols.length > 0 && cols.every((c) => addedEarlier(file, table, c, index))) return [];
    const list = cols.map(ident).join(", ");
    return [
      {
        line: stmt.line,
        message: `adds a unique index on ${table}(${cols.join(", ")}), a table made outside the migrations: it holds production rows, so the index fails with "UNIQUE constraint failed" if they hold duplicates${/\bWHERE\b/i.test(stmt.sql) ? " among the rows its WHERE selects" : ""}`,
        fix: `Check production first: \`SELECT ${list}, count(*) FROM ${ident(table)} GROUP BY ${list} HAVING count(*) > 1 LIMIT 10;\` must return nothing; to have blastwall replay it, give the table's schema with \`--base-schema\`.`,
        data: { table, columns: cols, outsideMigrations: true },
      },
    ];
  });
}

/** A new UNIQUE index or constraint on a table that already has rows in production. */
export default defineRule({
  meta: {
    id: "d1/add-unique",
    severity: "warning",
    summary: "A unique index or constraint is added to an existing table",
  },
  checkMigration: ({ file }) => {
    const ctx = contextFor(file.changes, (t) => file.createdHere.has(t.toLowerCase()), {
      written: writtenColumns(file.statements, file.outcomes),
      ...(file.tablesAfter ? { tablesAfter: file.tablesAfter } : {}),
    });
    const outside = onTableMadeOutside(file);
    return outside.concat(
      flatChanges(file).flatMap((c): RuleHit[] => {
        if (c.kind !== "add-index" || !c.index.unique || !existedBefore(file, c.table)) return [];
        // The column's own index, carried over by ALTER TABLE … RENAME COLUMN: nothing new is unique.
        if (!c.viaRebuild && followsRename(c, ctx)) return [];
        // On a column this file adds without a default and never writes, every existing row is NULL and so is every
        // row the running version inserts: NULLs are distinct, the index cannot fail (a rebuild's copy fills its columns).
        if (uniqueOnNewColumns(c, ctx) || (!c.viaRebuild && uniqueOnNullColumn(c, ctx))) return [];
        // A wider key than a unique index that held before, or a partial index over rows this file deleted first,
        // or a partial index whose WHERE excludes every existing row (they hold a new column's DEFAULT).
        if (uniqueImpliedBefore(c, ctx) || partialRowsDeleted(file, c.table, c.line)) return [];
        if (c.index.partial && partialOnlyNewRows(file, c.table, c.index.name)) return [];
        // No row to break it: the file emptied the table first (a rebuild's key: the table it ends the file as),
        // unless the key holds a column added here with a DEFAULT, which every insert of the running version repeats.
        if (
          emptyAt(file, c.table, c.viaRebuild ? Number.POSITIVE_INFINITY : c.line) &&
          !uniqueOnDefaultedNewColumn(c, ctx)
        )
          return [];
        // A rebuild's key copied from a key of the old table: unique by construction.
        const rebuild = file.changes.find((r) => r.kind === "modify-table" && r.line === c.line && r.table === c.table);
        // Or holding a column the copy leaves NULL in every row: NULLs never collide.
        if (
          c.viaRebuild &&
          rebuild?.kind === "modify-table" &&
          (uniqueByCopy(file, rebuild, c.index.columns) || nullByCopy(file, rebuild, c.index.columns))
        )
          return [];
        const cols = c.index.columns.join(", ");
        const t = ident(c.table);
        const groupBy = c.index.columns.map(ident).join(", ");
        const what = `adds a unique ${c.index.origin === "c" ? `index ${c.index.name}` : "constraint"} on ${c.table}(${cols})`;
        // The same file de-duplicated exactly these columns first: the index holds if that statement is right.
        const deduped = dedupedFirst(file, c.table, c.index.columns, c.line);
        const numbered = deduped === undefined && numberedWithin(file, c.table, c.index.columns);
        const why =
          deduped !== undefined
            ? `after line ${deduped} of this file de-duplicated ${c.table} on (${cols}), so existing rows cannot make it fail if that statement leaves one row per (${cols})`
            : `whose last column this file fills with ROW_NUMBER() OVER (PARTITION BY the others) while copying the rows, so the copied rows are distinct on (${cols})`;
        if (deduped !== undefined || numbered)
          return [
            {
              line: c.line,
              severity: "info" as const,
              message: `${what} ${why}`,
              fix: `Prove it on production data: \`blastwall check --data <export.sql>\` replays the de-duplication and the index. New duplicates written by the running version between this migration and the deploy still fail their INSERT afterwards.`,
              data: {
                table: c.table,
                columns: c.index.columns,
                index: c.index.name,
                ...(deduped !== undefined ? { dedupedAt: deduped } : { numbered: true }),
              },
            },
          ];
        return [
          {
            line: c.line,
            message: `${what}; it fails with "UNIQUE constraint failed" if production already holds duplicates, and then rejects writes the running version still makes`,
            fix: `Check production first: \`SELECT ${groupBy}, count(*) FROM ${t} GROUP BY ${groupBy} HAVING count(*) > 1 LIMIT 10;\` must return nothing (or run \`blastwall check --data <export.sql>\`). Deploy code that never writes duplicates, de-duplicate, then add the index in its own migration.`,
            data: { table: c.table, columns: c.index.columns, index: c.index.name },
          },
        ];
      }),
    );
  },
});
