import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** A column's declared type changes through a rebuild: affinity changes how old and new values compare and sort. */
export default defineRule({
  meta: { id: "d1/change-column-type", severity: "warning", summary: "A rebuild changes a column's type" },
  checkMigration: ({ file }) =>
    flatChanges(file).flatMap((c) => {
      if (c.kind !== "alter-column" || c.before.type.toLowerCase() === c.after.type.toLowerCase()) return [];
      if (!existedBefore(file, c.table)) return [];
      const t = ident(c.table);
      const newCol = ident(`${c.after.name}_${(c.after.type || "new").toLowerCase().replace(/\W+/g, "_")}`);
      return [
        {
          line: c.line,
          message: `changes ${c.table}.${c.after.name} from ${c.before.type || "(no type)"} to ${c.after.type || "(no type)"} by rebuilding ${c.table}; existing values keep their old storage class, comparisons and ORDER BY change, and the running version may read values it does not expect`,
          fix: `Add a new column instead: \`ALTER TABLE ${t} ADD COLUMN ${newCol} ${c.after.type};\`, deploy code that writes both, backfill \`UPDATE ${t} SET ${newCol} = CAST(${ident(c.after.name)} AS ${c.after.type || "TEXT"}) WHERE …\` in batches, switch reads, and drop ${c.after.name} in a later release.`,
          data: { table: c.table, column: c.after.name, from: c.before.type, to: c.after.type },
        },
      ];
    }),
});
