import { lineAt } from "../../d1/code-text.js";
import { type SetAssignment, setAssignments, type Token, tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** The assigned columns an assignment's value reads as plain names (not `f(…)` calls, not strings). */
function reads(value: readonly Token[], columns: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  value.forEach((t, i) => {
    if ((t.kind === "word" || t.kind === "ident") && columns.has(t.text.toLowerCase()) && value[i + 1]?.value !== "(")
      out.add(t.text.toLowerCase());
  });
  return out;
}

/** A literal: a number (signed), a string, NULL, TRUE or FALSE. */
function constant(value: readonly Token[]): boolean {
  const rest = value[0]?.value === "-" || value[0]?.value === "+" ? value.slice(1) : value;
  const t = rest[0];
  return (
    rest.length === 1 &&
    t !== undefined &&
    (t.kind === "number" || t.kind === "string" || (t.kind === "word" && ["NULL", "TRUE", "FALSE"].includes(t.value)))
  );
}

/** An assignment as written (`total = quantity * avg_price`), whitespace collapsed, cut at 70 characters. */
function shown(sql: string, a: SetAssignment): string {
  const first = a.value[0];
  const last = a.value[a.value.length - 1];
  const quoted = last?.kind === "string" || last?.kind === "ident" ? 2 : 0;
  const value = first && last ? sql.slice(first.at, last.at + last.text.length + quoted) : "";
  const text = `${a.columns.join(", ")} = ${value}`.replace(/\s+/g, " ");
  return text.length > 70 ? `${text.slice(0, 69)}…` : text;
}

/**
 * An UPDATE whose SET expression reads a column an earlier assignment of the same SET changes
 * (`SET avg_price = …, total = quantity * avg_price`). SQLite, like standard SQL, evaluates every expression on the
 * row as it was before the UPDATE, so it reads the old value; MySQL reads the new one, and the statement is often
 * written that way. A swap (`SET a = b, b = a`) reads both ways on purpose and is left alone; so is a read of a column
 * set to a constant (its new value is known, so the old one is meant), and a value holding a subquery, where the name
 * may be another table's column.
 */
export default defineRule({
  meta: {
    id: "d1/set-reads-assigned",
    severity: "warning",
    summary: "An UPDATE's SET reads a column the same SET assigns earlier, and gets its old value",
  },
  checkMigration: ({ file }) =>
    file.statements.flatMap((stmt, i) => {
      // Only UPDATEs have a SET list: the replay already knows each statement's verb.
      if (file.outcomes[i]?.verb !== "update") return [];
      const tokens = tokenize(stmt.sql);
      const sets = setAssignments(tokens);
      if (!sets || sets.length < 2) return [];
      const all = new Set(sets.flatMap((a) => a.columns));
      for (const [j, later] of sets.entries()) {
        if (later.value.some((t) => t.kind === "word" && t.value === "SELECT")) continue;
        const read = reads(later.value, all);
        const targets = new Set(later.columns);
        for (const earlier of sets.slice(0, j)) {
          const col = earlier.columns.find((c) => read.has(c));
          if (col === undefined) continue;
          // `SET a = a`: nothing changes. A value that reads the later column back is a swap. A constant
          // (`SET ingredient_id = 13, form_id = CASE ingredient_id WHEN 60 …`): the new value is known, so a read of
          // the column means the old one.
          const self = earlier.value.length === 1 && earlier.value[0]?.text.toLowerCase() === col;
          if (self || constant(earlier.value) || reads(earlier.value, targets).size > 0) continue;
          const target = later.columns.join(", ");
          return [
            {
              line: stmt.line + lineAt(stmt.sql, later.value[0]?.at ?? 0) - 1,
              message: `\`${shown(stmt.sql, later)}\` reads ${col}, which the same UPDATE sets before it (\`${shown(stmt.sql, earlier)}\`): SQLite evaluates every SET expression on the row as it was before the UPDATE, so this reads the old ${col}, not the value just assigned (MySQL would read the new one), and ${target} is computed from it in every row it touches`,
              fix: `Compute ${target} from the new value in the same statement, writing ${col}'s expression out in its place (\`${target} = … (${col}'s new expression) …\`), or set ${target} in a second UPDATE after this one.`,
              data: { column: col, assigned: target },
            },
          ];
        }
      }
      return [];
    }),
});
