import { classOfChange, contextFor, writtenColumns } from "../../d1/classify.js";
import {
  addedBefore,
  droppedInFile,
  partialOnlyNewRows,
  readdedAfter,
  refilledIndex,
  restoredAfter,
} from "../../d1/net-effect.js";
import type { MigrationFile } from "../../d1/rule.js";
import type { Change } from "../../sql/diff.js";
import { defineRule } from "../rule.js";

function describe(c: Change): string {
  switch (c.kind) {
    case "add-column":
    case "drop-column":
      return `${c.kind} ${c.table}.${c.column.name}`;
    case "rename-column":
      return `rename-column ${c.table}.${c.from}`;
    case "rename-table":
      return `rename-table ${c.from}`;
    case "add-index":
    case "drop-index":
      return `${c.kind} ${c.index.name}`;
    case "create-view":
    case "drop-view":
    case "create-trigger":
    case "drop-trigger":
      return `${c.kind} ${c.name}`;
    default:
      return `${c.kind} ${c.table}`;
  }
}

/**
 * Changes that are only the file moving a table's rows around: scratch tables it creates and drops, a table it
 * saves, drops, creates again and restores (`CREATE TABLE bak AS SELECT …; DROP TABLE t; CREATE TABLE t …;
 * INSERT INTO t SELECT … FROM bak;`), and a full-text index it builds again from its source (`refilledIndex`), with
 * the indexes it re-creates on it; a table it drops and creates again with every column it had; and views and
 * triggers it defines again.
 */
function roundTrips(file: MigrationFile): (c: Change & { line: number }) => boolean {
  const gone = droppedInFile(file);
  const scratch = (t: string) => file.createdHere.has(t) && gone.has(t) && !file.recreated?.has(t);
  const restored = new Set(
    file.changes.flatMap((c) =>
      c.kind === "drop-table" &&
      file.recreated?.has(c.table.toLowerCase()) &&
      (restoredAfter(file, c.table, c.line) !== undefined || refilledIndex(file, c.table, c.line) !== undefined)
        ? [c.table.toLowerCase()]
        : [],
    ),
  );
  // A view or trigger the file drops and creates again under the same name, or a trigger it puts back on a table
  // it rebuilds (DROP TABLE took it away): a redefinition that acts on every version at once, not an expand.
  const objectKey = (c: Change) =>
    `${c.kind.replace(/^(create|drop)-/, "")}:${"name" in c ? c.name.toLowerCase() : ""}`;
  const dropped = new Set(
    file.changes.flatMap((c) => (c.kind === "drop-view" || c.kind === "drop-trigger" ? [objectKey(c)] : [])),
  );
  const redefined = (c: Change & { line: number }) =>
    ((c.kind === "create-view" || c.kind === "create-trigger") && dropped.has(objectKey(c))) ||
    ((c.kind === "drop-view" || c.kind === "drop-trigger") &&
      file.changes.some(
        (d) => d.line > c.line && d.kind === `create-${c.kind.slice(5)}` && objectKey(d) === objectKey(c),
      )) ||
    (c.kind === "create-trigger" &&
      file.changes.some(
        (d) =>
          d.line < c.line &&
          d.table.toLowerCase() === c.table.toLowerCase() &&
          (d.kind === "modify-table" ||
            (d.kind === "drop-table" && file.recreated?.has(d.table.toLowerCase()) === true)),
      ));
  // `DROP COLUMN x; … ADD COLUMN x`: the column stays, its values go (d1/drop-column says so), neither half is a step.
  // `ADD COLUMN x_bak; … DROP COLUMN x_bak`: a scratch column, neither half a step either.
  const readded = (c: Change & { line: number }) =>
    (c.kind === "drop-column" && readdedAfter(file, c.table, c.column.name, c.line) !== undefined) ||
    (c.kind === "drop-column" && addedBefore(file, c.table, c.column.name, c.line) !== undefined) ||
    (c.kind === "add-column" &&
      file.changes.some(
        (d) =>
          d.kind === "drop-column" &&
          d.line !== c.line &&
          d.table.toLowerCase() === c.table.toLowerCase() &&
          d.column.name.toLowerCase() === c.column.name.toLowerCase(),
      ));
  // `DROP TABLE t; CREATE TABLE t (…)` keeping every column t had, any new one optional: the running version's
  // queries and inserts still work, only the rows go (d1/drop-table says so), so neither half is a step.
  const sameShape = new Set(
    file.changes.flatMap((c) => {
      if (c.kind !== "drop-table" || !file.recreated?.has(c.table.toLowerCase())) return [];
      const t = c.table.toLowerCase();
      const again = file.changes.find(
        (d) => d.kind === "create-table" && d.line > c.line && d.table.toLowerCase() === t,
      );
      if (again?.kind !== "create-table") return [];
      const old = new Set(c.before.columns.map((x) => x.name.toLowerCase()));
      const now = again.after.columns;
      const kept = [...old].every((n) => now.some((x) => x.name.toLowerCase() === n));
      const optional = now.every((x) => old.has(x.name.toLowerCase()) || !x.notNull || x.default !== null || x.pk > 0);
      return kept && optional ? [t] : [];
    }),
  );
  return (c) => {
    const t = c.table.toLowerCase();
    if (scratch(t) || redefined(c) || readded(c)) return true;
    if (sameShape.has(t) && (c.kind === "drop-table" || c.kind === "create-table")) return true;
    // A partial unique index over no existing row (its WHERE excludes a new column's DEFAULT) constrains nothing yet.
    if (c.kind === "add-index" && c.index.partial && partialOnlyNewRows(file, c.table, c.index.name)) return true;
    return restored.has(t) && (c.kind === "drop-table" || c.kind === "create-table" || c.kind === "add-index");
  };
}

/** One file both adds (expand) and removes or narrows (contract): they need a deploy between them. */
export default defineRule({
  meta: { id: "d1/mixed-expand-contract", severity: "error", summary: "A migration mixes expand and contract changes" },
  checkMigration: ({ file }) => {
    if (!file.classes.has("expand") || !file.classes.has("contract")) return [];
    const ctx = contextFor(file.changes, (t) => file.createdHere.has(t.toLowerCase()), {
      written: writtenColumns(file.statements, file.outcomes),
      ...(file.tablesAfter ? { tablesAfter: file.tablesAfter } : {}),
    });
    const neutral = roundTrips(file);
    const judged = file.changes.filter((c) => !neutral(c));
    const expand = judged.filter((c) => classOfChange(c, ctx) === "expand");
    const contract = judged.filter((c) => classOfChange(c, ctx) === "contract");
    if (expand.length === 0) return [];
    const first = contract[0];
    if (!first) return [];
    const list = (cs: typeof expand) =>
      cs.slice(0, 4).map(describe).join(", ") + (cs.length > 4 ? ` and ${cs.length - 4} more` : "");
    return [
      {
        line: first.line,
        message: `mixes expand (${list(expand)}) with contract (${list(contract)}); the contract half breaks the version that is running while the expand half is only useful to code not yet deployed`,
        fix: `Split ${file.name} in two: keep ${list(expand)} in this file and ship it with the code that uses it; move ${list(contract)} to a new, later-numbered migration that ships only after the new code serves 100%.`,
        // The tables the contract half touches, so a table the same release created drops the finding to info.
        data: {
          expand: expand.length,
          contract: contract.length,
          contractTables: [...new Set(contract.map((c) => c.table.toLowerCase()))],
        },
      },
    ];
  },
});
