import { runningVersion } from "../../d1/code-mentions.js";
import { carriedInto, keptAfterRename } from "../../d1/net-effect.js";
import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** ALTER TABLE … RENAME COLUMN (or a rebuild that renames a column) on an existing table. */
export default defineRule({
  meta: { id: "d1/rename-column", severity: "error", summary: "A migration renames a column that code may still use" },
  checkMigration: ({ file, code }) =>
    flatChanges(file).flatMap((c, _, all) => {
      if (c.kind !== "rename-column" || !existedBefore(file, c.table)) return [];
      // A column this file added holds no production value and no running version names it: renaming it breaks
      // nothing (dropping the column whose name it takes is reported by d1/drop-column).
      const addedHere = all.some(
        (a) =>
          a.kind === "add-column" &&
          a.line <= c.line &&
          a.table.toLowerCase() === c.table.toLowerCase() &&
          a.column.name.toLowerCase() === c.from.toLowerCase(),
      );
      if (addedHere) return [];
      // Re-added under the old name with the values copied back: the running version's queries still work.
      // A rebuild's new name is the column its copy fills from the old one (INSERT list against SELECT list), not
      // the column that happens to stand at the old one's position.
      const rebuild = file.changes.find((r) => r.kind === "modify-table" && r.line === c.line && r.table === c.table);
      const carried = c.viaRebuild && rebuild?.kind === "modify-table" ? carriedInto(file, rebuild, c.from) : undefined;
      const column =
        (rebuild?.kind === "modify-table" && rebuild.after.columns.find((a) => a.name === carried)) || c.column;
      if (keptAfterRename(file, c.table, c.from, column.name, c.line)) return [];
      const running = runningVersion(code, c.from, `queries on ${c.from} fail until the new code is live`, {
        alsoNamed: [column.name],
        table: c.table,
      });
      const t = ident(c.table);
      const from = ident(c.from);
      const to = ident(column.name);
      const type = column.type ? ` ${column.type}` : "";
      return [
        {
          line: c.line,
          message: `renames column ${c.table}.${c.from} to ${column.name}${c.viaRebuild ? " (through a rebuild)" : ""}; ${running.clause}`,
          fix: `Do it in 5 steps: 1) \`ALTER TABLE ${t} ADD COLUMN ${to}${type};\` 2) deploy code that writes both ${c.from} and ${column.name} and reads \`COALESCE(${to}, ${from})\`; 3) backfill in batches: \`UPDATE ${t} SET ${to} = ${from} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${to} IS NULL AND ${from} IS NOT NULL LIMIT 1000);\` until 0 rows change; 4) deploy code that reads and writes only ${column.name}; 5) in a later migration, \`ALTER TABLE ${t} DROP COLUMN ${from};\`.`,
          data: { table: c.table, from: c.from, to: column.name, namedInCode: !running.unused },
          ...(running.unused ? { severity: "info" as const } : {}),
        },
      ];
    }),
});
