import { plainInsertRows, rowKeys } from "../../d1/inserted-rows.js";
import { ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/**
 * A plain `INSERT … VALUES` of rows that an earlier migration already inserted into the same table, with nothing in
 * between that deleted them: a schema file or seed copied into a later migration. The replay accepted the repeat, so
 * no unique key stops it, and production ends up with every such row twice.
 */
export default defineRule({
  meta: {
    id: "d1/repeated-insert",
    severity: "warning",
    summary: "A migration inserts rows that an earlier migration already inserted into the same table",
  },
  checkMigration: ({ file }) => {
    const seen = file.insertedRows;
    if (!seen) return [];
    const cleared = new Set<string>();
    return file.statements.flatMap((stmt, i) => {
      const o = file.outcomes[i];
      if (!o || o.error || o.skipped) return [];
      if (o.verb === "delete" || o.verb === "drop-table") cleared.add(lc(o.target ?? ""));
      if (o.verb !== "insert" || o.insertSelect) return [];
      const insert = plainInsertRows(stmt);
      if (!insert || cleared.has(insert.table)) return [];
      const repeats = insert.rows.flatMap((values) => {
        for (const { key, differs } of rowKeys(insert.columns, values)) {
          const by = seen.insertedBy(insert.table, key);
          if (by) return [{ by, differs }];
        }
        return [];
      });
      const [first] = repeats;
      if (!first) return [];
      const by = first.by;
      const changed = [...new Set(repeats.flatMap((r) => (r.differs ? [r.differs] : [])))];
      const how =
        changed.length > 0
          ? ` (${repeats.every((r) => r.differs) ? "each" : "some"} differing only in ${changed.join(", ")}, as an UPDATE written as an INSERT)`
          : "";
      const t = ident(o.target ?? insert.table);
      return [
        {
          line: stmt.line,
          message: `inserts ${repeats.length === insert.rows.length ? "every row" : `${repeats.length} of its ${insert.rows.length} rows`} again that ${by} already inserted into ${o.target ?? insert.table}${how}, and no unique key stops the repeat: production gets ${repeats.length === 1 ? "that row" : "those rows"} twice, and queries that expect one (\`LIMIT 1\`, a lookup by name) pick either copy`,
          fix: `Drop the repeated INSERT from this file (it looks copied from ${by} or a schema file)${changed.length > 0 ? `, or write the change as \`UPDATE ${t} SET ${changed.map(ident).join(" = …, ")} = … WHERE …\`` : ""}, or make it idempotent: \`INSERT OR IGNORE INTO ${t} …\` over a \`UNIQUE\` key on the columns that name a row. To remove duplicates already applied: \`DELETE FROM ${t} WHERE rowid NOT IN (SELECT min(rowid) FROM ${t} GROUP BY <those columns>);\`.`,
          data: { table: o.target ?? insert.table, rows: repeats.length, insertedBy: by },
        },
      ];
    });
  },
});
