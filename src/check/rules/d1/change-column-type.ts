import { runningVersion } from "../../d1/code-mentions.js";
import { existedBefore, type FlatChange, flatChanges, ident } from "../../d1/rule.js";
import { affinity } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

type TypeChange = Extract<FlatChange, { kind: "alter-column" }>;

/**
 * A rebuild changes the affinity of columns of an existing table: values keep the storage class they had, so
 * comparisons and ORDER BY change. One finding per rebuild; a change of the declared name only
 * (`VARCHAR(255)` to `TEXT`) keeps the affinity and is not one.
 */
export default defineRule({
  meta: { id: "d1/change-column-type", severity: "warning", summary: "A rebuild changes a column's type" },
  checkMigration: ({ file, code }) => {
    const byRebuild = new Map<string, TypeChange[]>();
    for (const c of flatChanges(file)) {
      if (c.kind !== "alter-column" || affinity(c.before.type) === affinity(c.after.type)) continue;
      if (!existedBefore(file, c.table)) continue;
      const key = `${c.line}:${c.table}`;
      byRebuild.set(key, [...(byRebuild.get(key) ?? []), c]);
    }
    return [...byRebuild.values()].flatMap((changes) => {
      const [first] = changes;
      if (!first) return [];
      const t = ident(first.table);
      const type = (c: TypeChange) => c.after.type || "(no type)";
      const list = changes.map((c) => `${c.after.name} from ${c.before.type || "(no type)"} to ${type(c)}`).join(", ");
      const running = runningVersion(code, first.table, "reads of these columns get values stored under the old type");
      const newCol = ident(`${first.after.name}_${(first.after.type || "new").toLowerCase().replace(/\W+/g, "_")}`);
      return [
        {
          line: first.line,
          message: `the rebuild of ${first.table} changes ${list}; existing values keep their old storage class, so comparisons and ORDER BY on them change, and ${running.clause}`,
          fix: `Add a new column instead: \`ALTER TABLE ${t} ADD COLUMN ${newCol} ${first.after.type};\`, deploy code that writes both, backfill \`UPDATE ${t} SET ${newCol} = CAST(${ident(first.after.name)} AS ${first.after.type || "TEXT"}) WHERE …\` in batches, switch reads, and drop ${first.after.name} in a later release${
            changes.length > 1
              ? ` (the same for ${changes
                  .slice(1)
                  .map((c) => c.after.name)
                  .join(", ")})`
              : ""
          }.`,
          data: {
            table: first.table,
            // One column names the subject for release windows; several make the table the subject.
            ...(changes.length === 1 ? { column: first.after.name } : {}),
            columns: changes.map((c) => ({ column: c.after.name, from: c.before.type, to: c.after.type })),
          },
          ...(running.unused ? { severity: "info" as const } : {}),
        },
      ];
    });
  },
});
