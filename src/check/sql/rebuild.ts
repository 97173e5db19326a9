import { type Change, diffTable, type Located } from "./diff.js";
import type { Table } from "./schema.js";

const lc = (s: string) => s.toLowerCase();

type At = Located<Change>;

/**
 * Recognises SQLite's 12-step table rebuild inside one migration file and reports it as one "modify table"
 * change, diffed column by column against the table as it was before. Both common shapes are recognised:
 *
 * - CREATE TABLE new_t …; INSERT INTO new_t SELECT … FROM t; DROP TABLE t; ALTER TABLE new_t RENAME TO t;
 * - ALTER TABLE t RENAME TO old_t; CREATE TABLE t …; INSERT INTO t SELECT … FROM old_t; DROP TABLE old_t;
 *
 * Index and foreign key changes on the rebuilt table later in the same file fold into the one change.
 *
 * @example
 * collapseRebuilds(changes, (name) => replayer.tables.get(name.toLowerCase()));
 * // [{ kind: "modify-table", table: "orders", changes: [{ kind: "alter-column", … }], … }]
 */
export function collapseRebuilds(changes: readonly At[], finalTable: (name: string) => Table | undefined): At[] {
  const out: (At | undefined)[] = [...changes];
  for (let c = 0; c < out.length; c++) {
    const ren = out[c];
    if (ren?.kind !== "rename-table") continue;
    // Shape 1: the renamed table was created in this file and the target name was dropped before the rename.
    const createIdx = out.findIndex((x, i) => i < c && x?.kind === "create-table" && lc(x.table) === lc(ren.from));
    const dropIdx = findLast(out, c, (x) => x.kind === "drop-table" && lc(x.table) === lc(ren.table));
    if (createIdx >= 0 && dropIdx >= 0) {
      const drop = out[dropIdx];
      const create = out[createIdx];
      if (drop?.kind === "drop-table" && create) {
        fold(out, [createIdx, dropIdx, c], [ren.table, ren.from], drop.before, create.line, drop.line, finalTable);
        continue;
      }
    }
    // Shape 2: the table was renamed away, re-created under its name, and the renamed copy dropped.
    const recreate = out.findIndex((x, i) => i > c && x?.kind === "create-table" && lc(x.table) === lc(ren.from));
    const dropOld = out.findIndex((x, i) => i > c && x?.kind === "drop-table" && lc(x.table) === lc(ren.table));
    if (recreate >= 0 && dropOld >= 0) {
      const drop = out[dropOld];
      if (drop) fold(out, [c, recreate, dropOld], [ren.from, ren.table], ren.before, ren.line, drop.line, finalTable);
    }
  }
  dropScratchTables(out);
  return out.filter((x): x is At => x !== undefined);
}

/** A table created and dropped within the same file (a scratch or keep table) leaves no change behind. */
function dropScratchTables(out: (At | undefined)[]): void {
  for (let i = 0; i < out.length; i++) {
    const created = out[i];
    if (created?.kind !== "create-table") continue;
    const name = lc(created.table);
    const drop = out.findIndex((x, j) => j > i && x?.kind === "drop-table" && lc(x.table) === name);
    if (drop < 0) continue;
    for (let j = i; j <= drop; j++) {
      const x = out[j];
      if (x && "table" in x && lc(x.table) === name) out[j] = undefined;
    }
  }
}

function findLast(list: readonly (At | undefined)[], before: number, pred: (x: At) => boolean): number {
  for (let i = before - 1; i >= 0; i--) {
    const x = list[i];
    if (x && pred(x)) return i;
  }
  return -1;
}

function fold(
  out: (At | undefined)[],
  parts: number[],
  [table, temp]: [string, string],
  before: Table,
  line: number,
  dropLine: number,
  finalTable: (name: string) => Table | undefined,
): void {
  const first = Math.min(...parts);
  const after = finalTable(table);
  if (!after) return;
  // Index/foreign-key re-creation on the rebuilt table after the rebuild belongs to it.
  for (let i = first; i < out.length; i++) {
    const x = out[i];
    if (!x || parts.includes(i)) continue;
    if (
      (x.kind === "add-index" || x.kind === "drop-index" || x.kind.endsWith("foreign-key")) &&
      [lc(table), lc(temp)].includes(lc(x.table))
    )
      out[i] = undefined;
  }
  const nested = diffTable({ ...before, name: after.name }, after, { pairRenames: "same-type" });
  for (const i of parts) out[i] = undefined;
  out[first] = { kind: "modify-table", table: after.name, before, after, changes: nested, dropLine, line };
}
