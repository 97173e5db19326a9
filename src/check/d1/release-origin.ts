import type { Finding } from "../findings.js";
import type { Change } from "../sql/diff.js";
import type { ReleaseWindows } from "./release-windows.js";
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

  table(table: string): string | undefined {
    return this.tables.get(lc(table));
  }

  column(table: string, column: string): string | undefined {
    return this.columns.get(colKey(table, column));
  }

  /** Records what `file` created, dropped and renamed, after its rules ran. */
  record(file: MigrationFile): void {
    for (const c of file.changes) this.apply(c, file.name);
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
    for (const k of [...this.columns.keys()]) if (k.startsWith(`${t}.`)) this.columns.delete(k);
  }

  private moveTable(from: string, to: string): void {
    const origin = this.tables.get(from);
    const moved = [...this.columns].filter(([k]) => k.startsWith(`${from}.`));
    this.forgetTable(from);
    this.forgetTable(to);
    if (origin !== undefined) this.tables.set(to, origin);
    for (const [k, v] of moved) this.columns.set(`${to}.${k.slice(from.length + 1)}`, v);
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** What a contract finding is about: the table, and the column when it is about one. */
function subjectOf(f: Finding): { table: string; column?: string } | undefined {
  const d = f.data ?? {};
  const table = str(d.table);
  switch (f.rule) {
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
  /** The folder's first file in apply order: the commit that adds it brings in a history, it is not one release. */
  first: string | undefined;
  /** With `--data`: whether a file is still pending there (one it records as applied has shipped). */
  pendingOnData?: (name: string) => boolean;
}

/**
 * Drops to info the contract findings on tables and columns that an earlier file of the same release window created:
 * no deployed version held rows in them or named them, so dropping, renaming or tightening them breaks nothing.
 *
 * @example
 * findings = sameReleaseToInfo(findings, { file, origins, windows: releaseWindows(dir.dir), first: names[0] });
 */
export function sameReleaseToInfo(
  findings: Finding[],
  { file, origins, windows, first, pendingOnData }: SameReleaseOptions,
): Finding[] {
  const own = windows.of(file.name);
  // A folder's whole history added at once (a move, a re-add, a first commit of an existing app) is no release.
  if (own === undefined || (first !== undefined && windows.of(first)?.id === own.id)) return findings;
  return findings.map((f) => {
    if (f.severity === "info") return f;
    const subject = subjectOf(f);
    if (!subject) return f;
    const origin =
      subject.column === undefined ? origins.table(subject.table) : origins.column(subject.table, subject.column);
    if (origin === undefined || origin === file.name) return f;
    if (windows.of(origin)?.id !== own.id || (pendingOnData && !pendingOnData(origin))) return f;
    const what = subject.column === undefined ? `table ${subject.table}` : `${subject.table}.${subject.column}`;
    return {
      ...f,
      severity: "info",
      message: `${f.message}; but ${what} was created by ${origin} in ${own.label} as this file, so no deployed version has held rows in it or named it`,
      data: { ...f.data, sameRelease: { createdBy: origin, window: own.id } },
    };
  });
}
