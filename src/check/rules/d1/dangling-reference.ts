import { ident, type MigrationFile, type RuleHit, renamedAway } from "../../d1/rule.js";
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

interface RenamedAway {
  line: number;
  from: string;
  gone: string;
  dropLine: number;
  named: string[];
  refs: { table: Table }[];
}

/**
 * `ALTER TABLE pets RENAME TO pets_old; CREATE TABLE pets …; DROP TABLE pets_old`: the rename re-pointed the
 * children at pets_old, so the new pets has none and they reference a dropped table. Reported at the rename.
 */
function renamedHit(file: MigrationFile, r: RenamedAway): RuleHit {
  const kids = r.refs.map((x) => x.table.name).join(", ");
  const from = ident(r.from);
  const tmp = ident(`${r.from}_new`);
  const comeBack = file.tablesAfter?.has(r.from.toLowerCase())
    ? ` The ${from} this file creates again gets none of them.`
    : "";
  return {
    line: r.line,
    message: `renames ${r.from} to ${r.gone}, and SQLite re-points every foreign key to ${r.from} at ${r.gone} with it: ${r.named.join(", ")} now reference${r.refs.length === 1 ? "s" : ""} ${r.gone}, which line ${r.dropLine} drops.${comeBack} From this migration on every INSERT into ${kids} (and every DELETE from it) fails with "no such table: main.${r.gone}", even when the key is NULL`,
    fix: `Rebuild the other way round, so the children keep pointing at ${from}: \`CREATE TABLE ${tmp} (…); INSERT INTO ${tmp} SELECT … FROM ${from}; DROP TABLE ${from}; ALTER TABLE ${tmp} RENAME TO ${from};\` (renaming the new table onto the old name leaves their REFERENCES ${from} as written), with \`PRAGMA defer_foreign_keys = on;\` before the DROP on D1.`,
    data: { table: r.gone, renamedFrom: r.from, referrers: r.refs.map((x) => x.table.name) },
  };
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
      const renamed = renamedAway(file, gone);
      if (renamed) return [renamedHit(file, { ...renamed, gone, dropLine: stmt.line, named, refs })];
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
