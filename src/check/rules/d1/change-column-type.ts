import { runningVersion } from "../../d1/code-mentions.js";
import { existedBefore, type FlatChange, flatChanges, ident } from "../../d1/rule.js";
import { affinity } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

type TypeChange = Extract<FlatChange, { kind: "alter-column" }>;

/** INTEGER, NUMERIC and REAL affinity store and compare numbers alike: they differ only in CAST and in 5 vs 5.0. */
const NUMBERS = new Set(["INTEGER", "NUMERIC", "REAL"]);

function storesAlike(a: string, b: string): boolean {
  const [x, y] = [affinity(a), affinity(b)];
  return x === y || (NUMBERS.has(x) && NUMBERS.has(y));
}

/**
 * A date-named column (DATETIME, TIMESTAMP, DATE: NUMERIC affinity) moving to or from TEXT. Date text, which is what
 * CURRENT_TIMESTAMP and toISOString() write, stays text under either affinity; only numbers such as epoch times change.
 */
function dateOnly(c: TypeChange): boolean {
  const named = (t: string) => affinity(t) === "NUMERIC" && /DATE|TIME/i.test(t);
  const text = (t: string) => affinity(t) === "TEXT";
  return (named(c.before.type) && text(c.after.type)) || (text(c.before.type) && named(c.after.type));
}

/**
 * A rebuild changes the affinity of columns of an existing table: values keep the storage class they had, so
 * comparisons and ORDER BY change. One finding per rebuild; a change of the declared name only
 * (`VARCHAR(255)` to `TEXT`), or between numeric affinities (`BOOLEAN` to `INTEGER`), is not one, and date columns
 * moving to or from TEXT are info.
 */
export default defineRule({
  meta: { id: "d1/change-column-type", severity: "warning", summary: "A rebuild changes a column's type" },
  checkMigration: ({ file, code }) => {
    const byRebuild = new Map<string, TypeChange[]>();
    for (const c of flatChanges(file)) {
      if (c.kind !== "alter-column" || storesAlike(c.before.type, c.after.type)) continue;
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
      const dates = changes.every(dateOnly);
      const datesNote = dates
        ? "; these are date columns, whose date text stays text under either type, so only numeric values (epoch times) change"
        : "";
      const newCol = ident(`${first.after.name}_${(first.after.type || "new").toLowerCase().replace(/\W+/g, "_")}`);
      return [
        {
          line: first.line,
          message: `the rebuild of ${first.table} changes ${list}; existing values keep their old storage class, so comparisons and ORDER BY on them change, and ${running.clause}${datesNote}`,
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
          ...(running.unused || dates ? { severity: "info" as const } : {}),
        },
      ];
    });
  },
});
