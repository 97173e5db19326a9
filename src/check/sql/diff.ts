import type { Column, ForeignKey, Index, Table } from "./schema.js";

/** One schema change, as SQLite's own schema shows it before and after a statement. */
export type Change =
  | { kind: "create-table"; table: string; after: Table }
  | { kind: "drop-table"; table: string; before: Table }
  | { kind: "rename-table"; table: string; from: string; before: Table }
  | { kind: "add-column"; table: string; column: Column }
  | { kind: "drop-column"; table: string; column: Column }
  | { kind: "rename-column"; table: string; from: string; column: Column }
  | { kind: "alter-column"; table: string; before: Column; after: Column }
  | { kind: "add-index"; table: string; index: Index }
  | { kind: "drop-index"; table: string; index: Index }
  | { kind: "add-foreign-key"; table: string; fk: ForeignKey }
  | { kind: "drop-foreign-key"; table: string; fk: ForeignKey }
  | { kind: "alter-foreign-key"; table: string; before: ForeignKey; after: ForeignKey }
  /** The 12-step rebuild (create new, copy, drop old, rename) reported as one change with its column-level diff. */
  | { kind: "modify-table"; table: string; before: Table; after: Table; changes: Change[]; dropLine: number }
  | { kind: "create-view" | "drop-view" | "create-trigger" | "drop-trigger"; table: string; name: string };

export type Located<T> = T & { line: number };

const lc = (s: string) => s.toLowerCase();

export function indexKey(ix: Index): string {
  return `${ix.unique ? "U" : "I"}(${ix.columns.map(lc).join(",")})${ix.partial ? "P" : ""}`;
}

export function fkKey(fk: ForeignKey): string {
  return `${fk.from.map(lc).join(",")}->${lc(fk.table)}(${fk.to.map(lc).join(",")})`;
}

export interface DiffTableOptions {
  /** Pair a dropped column with an added one at the same position as a rename (ALTER … RENAME COLUMN, rebuilds). */
  pairRenames?: "always" | "same-type" | "never";
}

/**
 * Diffs two states of one table: columns (type, nullability, default), indexes (with uniqueness) and
 * foreign keys (with their actions).
 *
 * @example
 * diffTable(before, after).map((c) => c.kind); // ["add-column", "add-index"]
 */
export function diffTable(before: Table, after: Table, { pairRenames = "never" }: DiffTableOptions = {}): Change[] {
  const table = after.name;
  const out: Change[] = [];
  const afterCols = new Map(after.columns.map((c) => [lc(c.name), c]));
  const beforeCols = new Map(before.columns.map((c) => [lc(c.name), c]));
  const dropped = before.columns.filter((c) => !afterCols.has(lc(c.name)));
  const added = after.columns.filter((c) => !beforeCols.has(lc(c.name)));
  const renamedTo = new Set<Column>();
  for (const d of [...dropped]) {
    if (pairRenames === "never") break;
    const pos = before.columns.indexOf(d);
    const candidate = added.find((a) => after.columns.indexOf(a) === pos && !renamedTo.has(a));
    if (candidate && (pairRenames === "always" || lc(candidate.type) === lc(d.type))) {
      renamedTo.add(candidate);
      dropped.splice(dropped.indexOf(d), 1);
      out.push({ kind: "rename-column", table, from: d.name, column: candidate });
      if (candidate.type !== d.type || candidate.notNull !== d.notNull || candidate.default !== d.default)
        out.push({ kind: "alter-column", table, before: { ...d, name: candidate.name }, after: candidate });
    }
  }
  for (const d of dropped) out.push({ kind: "drop-column", table, column: d });
  for (const a of added) if (!renamedTo.has(a)) out.push({ kind: "add-column", table, column: a });
  for (const b of before.columns) {
    const a = afterCols.get(lc(b.name));
    if (a && (lc(a.type) !== lc(b.type) || a.notNull !== b.notNull || a.default !== b.default))
      out.push({ kind: "alter-column", table, before: b, after: a });
  }
  const count = (list: Index[]) => {
    const m = new Map<string, Index[]>();
    for (const ix of list) m.set(indexKey(ix), [...(m.get(indexKey(ix)) ?? []), ix]);
    return m;
  };
  const bi = count(before.indexes);
  const ai = count(after.indexes);
  for (const [k, list] of ai) {
    const had = bi.get(k)?.length ?? 0;
    for (const ix of list.slice(had)) out.push({ kind: "add-index", table, index: ix });
  }
  for (const [k, list] of bi) {
    const has = ai.get(k)?.length ?? 0;
    for (const ix of list.slice(has)) out.push({ kind: "drop-index", table, index: ix });
  }
  const bf = new Map(before.foreignKeys.map((f) => [fkKey(f), f]));
  const af = new Map(after.foreignKeys.map((f) => [fkKey(f), f]));
  for (const [k, f] of af) {
    const old = bf.get(k);
    if (!old) out.push({ kind: "add-foreign-key", table, fk: f });
    else if (old.onDelete !== f.onDelete || old.onUpdate !== f.onUpdate)
      out.push({ kind: "alter-foreign-key", table, before: old, after: f });
  }
  for (const [k, f] of bf) if (!af.has(k)) out.push({ kind: "drop-foreign-key", table, fk: f });
  return out;
}

/** Renames a table's references in a foreign key list, for comparing a child before and after its parent's rename. */
export function renameParent(t: Table, from: string, to: string): Table {
  return {
    ...t,
    foreignKeys: t.foreignKeys.map((f) => (lc(f.table) === lc(from) ? { ...f, table: to } : f)),
  };
}
