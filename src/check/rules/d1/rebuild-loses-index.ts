import { ident, type RuleHit } from "../../d1/rule.js";
import type { Index } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
/** An index's meaning: unique or not, its columns in order, and a partial index's condition. */
const keyOf = (ix: Index) =>
  `${ix.unique ? "U" : "I"}(${ix.columns.map(lc).join(",")})${(ix.where ?? []).join(" AND ")}`;
const listed = (ixs: readonly Index[]) => ixs.map((ix) => `${ix.name} (${ix.columns.join(", ")})`).join(", ");

/**
 * A rebuild (`CREATE TABLE t_new …; INSERT … SELECT; DROP TABLE t; ALTER TABLE t_new RENAME TO t`) drops every index
 * that `CREATE INDEX` made on the old table; one that the file does not create again is gone. A unique one was a
 * guard the app relies on (no double booking, no reused payment): after the rebuild the duplicates it refused go in.
 */
export default defineRule({
  meta: {
    id: "d1/rebuild-loses-index",
    severity: "warning",
    summary: "A table rebuild drops a unique index that the migration does not create again",
  },
  checkMigration: ({ file }) =>
    file.changes.flatMap((c): RuleHit[] => {
      if (c.kind !== "modify-table") return [];
      const now = file.tablesAfter?.get(lc(c.table));
      if (!now) return [];
      const kept = new Set(now.indexes.map(keyOf));
      const lost = c.before.indexes.filter((ix) => ix.origin === "c" && !kept.has(keyOf(ix)));
      const unique = lost.filter((ix) => ix.unique);
      if (unique.length === 0) return [];
      const plain = lost.filter((ix) => !ix.unique);
      const t = ident(c.table);
      const recreate = unique
        .map((ix) => {
          const where = ix.where?.length ? ` WHERE ${ix.where.join(" AND ")}` : "";
          return `CREATE UNIQUE INDEX ${ident(ix.name)} ON ${t} (${ix.columns.map(ident).join(", ")})${where};`;
        })
        .join(" ");
      return [
        {
          line: c.dropLine,
          message: `the rebuild of ${c.table} drops its unique index${unique.length === 1 ? "" : "es"} ${listed(unique)} with the old table, and this migration does not create ${unique.length === 1 ? "it" : "them"} again: from now on ${c.table} accepts the duplicates ${unique.length === 1 ? "it" : "they"} refused${plain.length > 0 ? `; the plain index${plain.length === 1 ? "" : "es"} ${listed(plain)} ${plain.length === 1 ? "is" : "are"} lost too (slower queries)` : ""}`,
          fix: `Create the indexes again after the rename, in the same migration: ${recreate}${plain.length > 0 ? ` (and the plain ones: ${plain.map((ix) => `CREATE INDEX ${ident(ix.name)} ON ${t} (${ix.columns.map(ident).join(", ")});`).join(" ")})` : ""}`,
          data: { table: c.table, indexes: unique.map((ix) => ix.name), plain: plain.map((ix) => ix.name) },
        },
      ];
    }),
});
