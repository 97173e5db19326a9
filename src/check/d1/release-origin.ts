import type { Finding } from "../findings.js";
import type { Change } from "../sql/diff.js";
import { tokenize } from "../sql/tokens.js";
import type { ReleaseWindows } from "./release-windows.js";
import { soleSource } from "./row-bounds.js";
import type { MigrationFile } from "./rule.js";

const lc = (s: string) => s.toLowerCase();
const colKey = (table: string, column: string) => `${lc(table)}.${lc(column)}`;

/**
 * Which migration file created each table and column the history holds now, followed through renames and rebuilds.
 * A table made outside migrations has no origin.
 */
export class Origins {
  private readonly tables = new Map<string, string>();
  private readonly columns = new Map<string, string>();
  /** Tables that took rows from another table since they were created: they may hold shipped rows. */
  private readonly copied = new Set<string>();

  table(table: string): string | undefined {
    return this.tables.get(lc(table));
  }

  column(table: string, column: string): string | undefined {
    return this.columns.get(colKey(table, column));
  }

  /** Whether `table` took rows from another table (`INSERT … SELECT … FROM other`) since it was created. */
  hasCopied(table: string): boolean {
    return this.copied.has(lc(table));
  }

  /** Records what `file` created, dropped, renamed and filled from other tables, after its rules ran. */
  record(file: MigrationFile): void {
    for (const c of file.changes) this.apply(c, file.name);
    file.outcomes.forEach((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || !o.insertSelect || o.target === undefined) return;
      const source = soleSource(tokenize(stmt.sql));
      if (source !== undefined && lc(source) === lc(o.target)) return;
      // Where the file renamed the table it filled, the rows now sit under the new name.
      const target = lc(o.target);
      const renamed = file.changes.find((c) => c.kind === "rename-table" && lc(c.from) === target);
      this.copied.add(renamed ? lc(renamed.table) : target);
    });
  }

  private apply(c: Change, name: string): void {
    const t = lc(c.table);
    switch (c.kind) {
      case "create-table":
        this.forgetTable(t);
        this.tables.set(t, name);
        for (const col of c.after.columns) this.columns.set(colKey(t, col.name), name);
        return;
      case "drop-table":
        this.forgetTable(t);
        return;
      case "rename-table":
        this.moveTable(lc(c.from), t);
        return;
      case "add-column":
        this.columns.set(colKey(t, c.column.name), name);
        return;
      case "drop-column":
        this.columns.delete(colKey(t, c.column.name));
        return;
      case "rename-column": {
        const from = this.columns.get(colKey(t, c.from));
        this.columns.delete(colKey(t, c.from));
        if (from !== undefined) this.columns.set(colKey(t, c.column.name), from);
        return;
      }
      case "modify-table":
        for (const inner of c.changes) this.apply(inner, name);
        return;
      default:
        return;
    }
  }

  private forgetTable(t: string): void {
    this.tables.delete(t);
    this.copied.delete(t);
    for (const k of [...this.columns.keys()]) if (k.startsWith(`${t}.`)) this.columns.delete(k);
  }

  private moveTable(from: string, to: string): void {
    const origin = this.tables.get(from);
    const copied = this.copied.has(from);
    const moved = [...this.columns].filter(([k]) => k.startsWith(`${from}.`));
    this.forgetTable(from);
    this.forgetTable(to);
    if (origin !== undefined) this.tables.set(to, origin);
    if (copied) this.copied.add(to);
    for (const [k, v] of moved) this.columns.set(`${to}.${k.slice(from.length + 1)}`, v);
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * What a finding is about: the table, and the column when it is about one. `rows` marks findings about the rows a
 * table holds (a DELETE of every row, a unique index that duplicates fail, a rewrite of values) rather than about
 * the code that names it.
 */
function subjectOf(f: Finding): { table: string; column?: string; rows?: true } | undefined {
  const d = f.data ?? {};
  const table = str(d.table);
  switch (f.rule) {
    case "d1/unbounded-write":
    case "d1/large-data-change":
    case "d1/delete-rows":
    case "d1/rebuild-fk-restrict":
    case "d1/add-unique":
    case "d1/rewrite-in-place":
    case "d1/narrow-check":
    case "d1/add-column-non-constant-default":
    case "d1/copy-column-order":
      return table === undefined ? undefined : { table, rows: true };
    case "d1/drop-table":
    case "d1/add-not-null-column":
      return table === undefined ? undefined : { table };
    case "d1/rename-table": {
      const from = str(d.from);
      return from === undefined ? undefined : { table: from };
    }
    case "d1/change-column-type": {
      const column = str(d.column);
      if (table === undefined) return undefined;
      return column === undefined ? { table } : { table, column };
    }
    case "d1/drop-column":
    case "d1/set-not-null": {
      const column = str(d.column);
      return table === undefined || column === undefined ? undefined : { table, column };
    }
    case "d1/rename-column": {
      const from = str(d.from);
      return table === undefined || from === undefined ? undefined : { table, column: from };
    }
    default:
      return undefined;
  }
}

export interface SameReleaseOptions {
  file: MigrationFile;
  origins: Origins;
  windows: ReleaseWindows;
  /** With `--data`: whether a file is still pending there (one it records as applied has shipped). */
  pendingOnData?: (name: string) => boolean;
}

/**
 * Drops to info the contract findings on tables and columns that an earlier file of the same release window created:
 * no deployed version held rows in them or named them, so dropping, renaming or tightening them breaks nothing.
 * Findings about a table's rows drop too, unless the table took rows from another one since.
 *
 * @example
 * findings = sameReleaseToInfo(findings, { file, origins, windows: releaseWindows(dir.dir) });
 */
export function sameReleaseToInfo(
  findings: Finding[],
  { file, origins, windows, pendingOnData }: SameReleaseOptions,
): Finding[] {
  const own = windows.of(file.name);
  if (own === undefined) return findings;
  const sameWindow = (origin: string | undefined): origin is string =>
    origin !== undefined &&
    origin !== file.name &&
    windows.of(origin)?.id === own.id &&
    (!pendingOnData || pendingOnData(origin));
  return findings.map((f) => {
    if (f.severity === "info") return f;
    const contract = f.rule === "d1/mixed-expand-contract" ? f.data?.contractTables : undefined;
    if (Array.isArray(contract)) {
      const tables = contract.filter((t): t is string => typeof t === "string");
      const by = tables.map((t) => origins.table(t));
      if (tables.length === 0 || !by.every(sameWindow)) return f;
      return {
        ...f,
        severity: "info",
        message: `${f.message}; but every table its contract half touches (${tables.join(", ")}) was created by ${[...new Set(by)].join(", ")} in ${own.label} as this file, so no deployed version has named them`,
        data: { ...f.data, sameRelease: { createdBy: by[0], window: own.id } },
      };
    }
    const subject = subjectOf(f);
    if (!subject) return f;
    const origin =
      subject.column === undefined ? origins.table(subject.table) : origins.column(subject.table, subject.column);
    if (!sameWindow(origin)) return f;
    if (subject.rows && origins.hasCopied(subject.table)) return f;
    const what = subject.column === undefined ? `table ${subject.table}` : `${subject.table}.${subject.column}`;
    const so = subject.rows
      ? "and took no rows from another table, so it holds only rows this release wrote"
      : "so no deployed version has held rows in it or named it";
    return {
      ...f,
      severity: "info",
      message: `${f.message}; but ${what} was created by ${origin} in ${own.label} as this file, ${so}`,
      data: { ...f.data, sameRelease: { createdBy: origin, window: own.id } },
    };
  });
}
