import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, ident, type MigrationFile, type RuleHit, renamedAway } from "../../d1/rule.js";
import type { Cascade, StatementOutcome } from "../../sql/replay.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
const ON = new Set(["ON", "TRUE", "1", "YES"]);

/** `PRAGMA <name> = <value>` (or `PRAGMA <name>(<value>)`) as [name, value], upper-cased; undefined otherwise. */
function pragmaOf(sql: string): [string, string] | undefined {
  const t = tokenize(sql, 8);
  if (t[0]?.value !== "PRAGMA") return undefined;
  const name = t[1]?.value.toUpperCase();
  const value = t.find((x, i) => i > 2 && x.kind !== "punct")?.value.toUpperCase();
  return name && value ? [name, value] : undefined;
}

/** Whether the last `PRAGMA defer_foreign_keys` before `line` turned it on. */
function deferredBefore(file: MigrationFile, line: number): boolean {
  let deferred = false;
  for (const s of file.statements) {
    const p = s.line < line ? pragmaOf(s.sql) : undefined;
    if (p?.[0] === "DEFER_FOREIGN_KEYS") deferred = ON.has(p[1]);
  }
  return deferred;
}

/** Line of a `PRAGMA foreign_keys = OFF` in the file (D1 ignores it), if any. */
function foreignKeysOffLine(file: MigrationFile): number | undefined {
  return file.statements.find((s) => {
    const p = pragmaOf(s.sql);
    return p?.[0] === "FOREIGN_KEYS" && !ON.has(p[1]);
  })?.line;
}

/**
 * Whether the tables along a blocker's path can hold rows when the DROP runs: they existed before the file, or
 * the file rebuilt them (the rebuild copies their rows). A table the file created fresh is empty.
 */
function mayHoldRows(file: MigrationFile, b: Cascade): boolean {
  const rebuilt = new Set(file.changes.flatMap((c) => (c.kind === "modify-table" ? [lc(c.table)] : [])));
  return b.path.slice(1).every((t) => existedBefore(file, t) || rebuilt.has(lc(t)));
}

/** The statement that renames the rebuild copy into place, for the fix: `ALTER TABLE __new_p RENAME TO p;`. */
function renameLine(file: MigrationFile, parent: string, dropLine: number): string | undefined {
  const i = file.outcomes.findIndex(
    (o, k) =>
      o.verb === "alter-table" &&
      (file.statements[k]?.line ?? 0) > dropLine &&
      o.changes.some((c) => c.kind === "rename-table" && lc(c.table) === lc(parent)),
  );
  return i < 0 ? undefined : file.statements[i]?.sql.trim().replace(/;?$/, ";");
}

interface Blocked {
  line: number;
  /** A DELETE without WHERE rather than a DROP TABLE. */
  del: boolean;
  parent: string;
  blockers: Cascade[];
  data?: StatementOutcome;
}

function blockedDrops(file: MigrationFile): Blocked[] {
  return file.outcomes.flatMap((o, i) => {
    const stmt = file.statements[i];
    const empties = o.verb === "drop-table" || (o.verb === "delete" && !o.hasWhere);
    // A table the file drops and creates again (saving its rows aside) existed before: its children hold rows.
    const before = o.target !== undefined && (existedBefore(file, o.target) || file.recreated?.has(lc(o.target)));
    if (!stmt || !empties || o.error || !o.target || !before) return [];
    // A child the file emptied first (`DELETE FROM child;`) holds no row that could block.
    const blockers = o.blockers.filter((b) => mayHoldRows(file, b) && !emptyAt(file, b.table, stmt.line));
    if (blockers.length === 0 || deferredBefore(file, stmt.line) || emptyAt(file, o.target, stmt.line)) return [];
    return [{ line: stmt.line, del: o.verb === "delete", parent: o.target, blockers, data: file.data?.statements[i] }];
  });
}

/**
 * DROP TABLE on a parent that other tables reference with ON DELETE NO ACTION (the default) or RESTRICT: the
 * implicit DELETE of the DROP violates their foreign keys as soon as a child row exists. D1 enforces foreign keys
 * in every migration and ignores PRAGMA foreign_keys = OFF, so the drizzle/prisma rebuild that passed locally on
 * empty tables fails in production with "FOREIGN KEY constraint failed".
 */
export default defineRule({
  meta: {
    id: "d1/rebuild-fk-restrict",
    severity: "error",
    summary:
      "Dropping or rebuilding a table that others reference with NO ACTION / RESTRICT fails on D1 once they hold rows",
  },
  checkMigration: ({ file, dataLabel }) => {
    const hits: RuleHit[] = [];
    const off = foreignKeysOffLine(file);
    for (const { line, del, parent, blockers, data } of blockedDrops(file)) {
      const rebuilt = file.changes.find((c) => c.kind === "modify-table" && c.dropLine === line);
      const what = rebuilt
        ? `the rebuild of ${rebuilt.table} drops ${parent}`
        : del
          ? `DELETE FROM ${parent} deletes every row`
          : `DROP TABLE ${parent}`;
      const children = [...new Set(blockers.map((b) => b.table))];
      const keys = blockers.map((b) => `${b.fk}${b.path.length > 2 ? ` (via ${b.path.join(" → ")})` : ""}`);
      const ignored = off ? ` (\`PRAGMA foreign_keys = OFF\` at line ${off} is ignored on D1)` : "";
      const onData = data
        ? data.error
          ? `; replayed on ${dataLabel ?? "--data"} it fails there: ${data.error.message}`
          : `; replayed on ${dataLabel ?? "--data"} it passes only because ${children.join(", ")} hold no row there`
        : "";
      const rename = renameLine(file, rebuilt?.table ?? parent, line);
      const away = del ? undefined : renamedAway(file, parent);
      hits.push({
        line,
        severity: data && !data.error ? "warning" : undefined,
        message: `${what} while ${children.join(", ")} reference${children.length === 1 ? "s" : ""} it: ${keys.join("; ")}. D1 enforces foreign keys in migrations${ignored}, so this ${del ? "DELETE" : "DROP"} fails with "FOREIGN KEY constraint failed" as soon as ${children.join(" or ")} holds a row — it passes locally only on empty tables${onData}`,
        fix: away
          ? `Deferring the checks does not help here: \`ALTER TABLE ${ident(away.from)} RENAME TO ${ident(parent)}\` (line ${away.line}) re-pointed ${children.map(ident).join(", ")} at ${ident(parent)}, so at the end of the migration they still reference the dropped table. Rebuild the other way round: \`CREATE TABLE ${ident(`${away.from}_new`)} (…); INSERT INTO ${ident(`${away.from}_new`)} SELECT … FROM ${ident(away.from)}; PRAGMA defer_foreign_keys = on; DROP TABLE ${ident(away.from)}; ALTER TABLE ${ident(`${away.from}_new`)} RENAME TO ${ident(away.from)}; PRAGMA defer_foreign_keys = off;\`.`
          : del
            ? `Delete the children's rows first in the same migration (\`DELETE FROM ${ident(children[0] ?? "child")};\` or only those that point at ${ident(parent)}), or declare their key ON DELETE CASCADE; \`PRAGMA defer_foreign_keys = on\` helps only if the file fixes the children before it ends.`
            : `Defer the foreign key checks for this migration: put \`PRAGMA defer_foreign_keys = on;\` before \`DROP TABLE ${ident(parent)};\` and \`PRAGMA defer_foreign_keys = off;\` after ${rename ? `\`${rename}\`` : "the last statement"}${off ? " (in place of the PRAGMA foreign_keys lines)" : ""}. The copied rows keep every ${children.map(ident).join(", ")} row pointing at a row of ${ident(rebuilt?.table ?? parent)}; prove it with \`blastwall check --data <export.sql>\`.`,
        data: { table: parent, children, blockers },
      });
    }
    return hits;
  },
});
