import { ident, type RuleHit } from "../../d1/rule.js";
import type { ForeignKey, Table } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** The foreign keys of each child that point at `gone`. */
function referrers(children: readonly Table[], gone: string): { table: Table; fks: ForeignKey[] }[] {
  return children.flatMap((table) => {
    const fks = table.foreignKeys.filter((fk) => lc(fk.table) === gone);
    return fks.length > 0 ? [{ table, fks }] : [];
  });
}

/**
 * `DROP TABLE pets` while `consultations.pet_id REFERENCES pets(id)` stays: with foreign keys on, as D1 always has
 * them, SQLite looks the parent table up on every INSERT into the child (and every DELETE from it) and fails with
 * "no such table: main.pets", even for rows whose key is NULL.
 */
export default defineRule({
  meta: {
    id: "d1/dangling-reference",
    severity: "error",
    summary: "A dropped table is still referenced by a table that stays: every INSERT into that table fails",
  },
  checkMigration: ({ file }) => {
    const dangling = file.danglingChildren;
    if (!dangling || dangling.size === 0) return [];
    return file.outcomes.flatMap((o, i): RuleHit[] => {
      const stmt = file.statements[i];
      const dropped = o.changes.find((c) => c.kind === "drop-table");
      // Only a table still gone at the end of the file (not re-created, nor renamed back) leaves references dangling.
      const children = dropped ? dangling.get(lc(dropped.table)) : undefined;
      if (!stmt || o.error || !dropped || !children) return [];
      const refs = referrers(children, lc(dropped.table));
      if (refs.length === 0) return [];
      const gone = dropped.table;
      const named = refs.map(({ table, fks }) => `${table.name}(${fks.flatMap((fk) => fk.from).join(", ")})`);
      const first = refs[0];
      const child = first ? ident(first.table.name) : "the_child";
      return [
        {
          line: stmt.line,
          message: `drops ${gone} while ${named.join(", ")} still REFERENCES it: D1 enforces foreign keys, so from this migration on every INSERT into ${refs.map((r) => r.table.name).join(", ")} (and every DELETE from it) fails with "no such table: main.${gone}", even when the key is NULL`,
          fix: `In the same migration, rebuild ${refs.map((r) => ident(r.table.name)).join(", ")} without the reference (\`CREATE TABLE ${child}_new (…)\` declaring the column without \`REFERENCES ${ident(gone)}\`, \`INSERT INTO ${child}_new SELECT … FROM ${child};\`, \`DROP TABLE ${child};\`, \`ALTER TABLE ${child}_new RENAME TO ${child};\`), or keep ${ident(gone)} until that rebuild ships.`,
          data: { table: gone, referrers: refs.map((r) => r.table.name) },
        },
      ];
    });
  },
});
