import type { Finding, MigrationClass } from "../findings.js";
import type { Hit } from "../rules/report.js";
import type { Change, Located } from "../sql/diff.js";
import type { FileOutcome, StatementOutcome } from "../sql/replay.js";
import type { Table } from "../sql/schema.js";
import type { SplitProblem, SqlComment, SqlStatement } from "../sql/split.js";
import type { CodeMentions } from "./code-mentions.js";
import type { LockProblem } from "./lock.js";
import type { DrizzleBase, MigrationsDir } from "./migrations.js";
import type { NestedFile } from "./nested-files.js";
import type { ReleaseWindows } from "./release-windows.js";

/** Where a failure that explains a later one sits (see `failed-files.ts`). */
export interface FailureCause {
  rel: string;
  line: number;
  /** The cause is an earlier statement of the same file (which stops there), not a file that rolled back. */
  sameFile: boolean;
}

/** One migration file after replay: what every D1 rule reads. */
export interface MigrationFile {
  /** File name, e.g. "0003_rename_status.sql" (what d1_migrations records). */
  name: string;
  /** Path relative to the project dir, for findings. */
  rel: string;
  text: string;
  /** Set when the file could not be read as SQL text (binary, invalid UTF-8, unreadable). */
  unreadable?: string;
  statements: SqlStatement[];
  comments: SqlComment[];
  problems: SplitProblem[];
  /** Static replay on an empty database, one outcome per statement. */
  outcomes: StatementOutcome[];
  /** Schema changes of the whole file, with rebuilds folded into one "modify-table" each. */
  changes: Located<Change>[];
  /** Lower-cased tables this file creates (not counting rebuild copies): changes to them risk nothing yet. */
  createdHere: Set<string>;
  /** Lower-cased tables that existed before this file, which it drops and creates again: every row is lost. */
  recreated?: Set<string>;
  /** Schema after the file of the tables its statements name as target and of its drops' cascade children. */
  tablesAfter?: ReadonlyMap<string, Table>;
  /** For each table this file renames (by its new, lower-cased name): the tables whose foreign keys follow it. */
  renamedChildren?: ReadonlyMap<string, string[]>;
  /** Tables the file dropped for good (lower-cased) → the tables still declaring a foreign key to them after it. */
  danglingChildren?: ReadonlyMap<string, Table[]>;
  /** Lines of the INSERT … SELECT statements that copy rows during a rebuild. */
  copyLines: Set<number>;
  classes: Set<Exclude<MigrationClass, "mixed">>;
  class: MigrationClass;
  /**
   * Statements (by index) that fail because a table no migration ever created is missing: made outside
   * migrations. `first` marks the first statement on that table in the folder's history. `via` marks a statement
   * that fails on the replay only through such a failure: it names a table whose rows or schema an earlier failing
   * statement left short (`table`), or writes rows whose parent is in one.
   */
  missingBase?: { index: number; table: string; first: boolean; via?: true }[];
  /**
   * Failing statements (by index) that fail only because an earlier one did: they clash with what the replay kept of
   * an earlier file that failed (D1 rolls such a file back whole), or follow a failure earlier in this file.
   */
  followsFailure?: ReadonlyMap<number, FailureCause>;
  /**
   * Foreign keys this file declares (in a table it creates or rebuilds, or a column it adds) whose parent no
   * migration has created by the end of the file, the first time each parent is met. Kept only when the parent is
   * still missing at the end of the history and no failing statement reported it.
   */
  missingParents?: { table: string; child: string; line: number }[];
  /**
   * Lower-cased tables an earlier migration of the folder wrote rows into (INSERT, REPLACE, a copy from such a
   * table; followed through renames): such a table may hold rows whatever the code says.
   */
  seeded?: ReadonlySet<string>;
  /** The rows earlier migrations inserted (plain INSERT … VALUES), as far as no DELETE or DROP cleared them since. */
  insertedRows?: {
    insertedBy(table: string, key: string): string | undefined;
    rowUnder(table: string, column: string, value: string): KeyedRow | undefined;
  };
  /** Lower-cased table → the earlier migration that last created it (for messages). */
  createdBy?: ReadonlyMap<string, string>;
  /** Any table as the history leaves it after this file (valid while the file's rules run). */
  tableAfter?: (table: string) => Table | undefined;
  /** Replay on `--data`, when this file is pending there. */
  data?: FileOutcome;
}

export interface D1RuleContext {
  file: MigrationFile;
  /** The `--data` file as the user gave it, for messages. */
  dataLabel?: string;
  /** What the code of the Workers bound to the folder names; undefined when it cannot be read. */
  code?: CodeMentions;
  /** The drizzle folder that creates the tables the history never creates, when the project has one. */
  base?: DrizzleBase | undefined;
  /** Which files ship together and which changed after they shipped (git history or `--base`). */
  windows?: ReleaseWindows | undefined;
  /** What the folder rules (lock, order) found on this file, so a file rule can leave a problem they report. */
  folderFindings?: readonly Finding[];
  /** The folder the file is in, and its last file in apply order (the newest migration, the one not yet shipped). */
  folder?: { dir: MigrationsDir; last: string };
  /**
   * The running version's code when this file ships (read on call): `code` with `--base`; else, for a committed
   * file, the code at the parent of the commit that added it; undefined when unknown.
   */
  running?: () => CodeMentions | undefined;
}

/** A D1 rule's hit; the file is the migration being checked unless the hit names another. */
export type RuleHit = Hit;

/** What a rule over a whole migrations folder reads: the folder and its files in apply order. */
export interface D1FolderContext {
  dir: MigrationsDir;
  /** Files in apply order; empty when the folder does not exist. */
  names: readonly string[];
  /** migrations.lock compared with the folder (read on first call), or undefined when there is no lock file. */
  lock(): { file: string; problems: readonly LockProblem[] } | undefined;
  /** A file of the folder, relative to the project dir. */
  fileOf(name: string): string;
  /** Which files ship together and when the database came to exist (git history), when known. */
  windows?: ReleaseWindows | undefined;
}

/** What a rule over a folder's final schema reads, once its whole history replayed. */
export interface D1FinalContext {
  dir: MigrationsDir;
  /** The folder's last file (as it is named in the folder), for messages. */
  last: string;
  /** The tables the history leaves. */
  tables: ReadonlyMap<string, Table>;
  /** What the code of the Workers bound to the folder names and runs. */
  code: CodeMentions;
  /** SQLite's error preparing `sql` on the schema the history leaves, or undefined when it compiles. */
  compile(sql: string): string | undefined;
  /** `table.column` (lower-cased) of every column a migration of the folder dropped or renamed away. */
  removed: ReadonlySet<string>;
  /** The `.sql` files in subfolders of the folder, which wrangler does not apply (`nested-files.ts`). */
  nested: readonly NestedFile[];
  /** The files directly in the folder set aside under a name wrangler does not apply (`0007_x.sql.bak`). */
  setAside: readonly NestedFile[];
}

/** A row an earlier migration put in place, as its values by lower-cased column, and the file that did. */
export interface KeyedRow {
  file: string;
  values: ReadonlyMap<string, string>;
}

/** A folder rule's hit: `name` is a file inside the folder (that file's suppressions apply), else `file` is set. */
export interface FolderHit extends RuleHit {
  name?: string;
}

export type FlatChange = Located<Change> & { viaRebuild: boolean };

/** Every change of a file, with the column-level changes of each rebuild listed as their own (at its line). */
export function flatChanges(file: MigrationFile): FlatChange[] {
  const out: FlatChange[] = [];
  for (const c of file.changes) {
    out.push({ ...c, viaRebuild: false });
    if (c.kind === "modify-table") for (const n of c.changes) out.push({ ...n, line: c.line, viaRebuild: true });
  }
  return out;
}

/** True when `table` already existed before this file (so production rows may be in it). */
export function existedBefore(file: MigrationFile, table: string): boolean {
  return !file.createdHere.has(table.toLowerCase());
}

/**
 * The `ALTER TABLE t RENAME TO gone` of this file, when `gone` is a name it renamed a table to and later dropped:
 * SQLite re-pointed the children's REFERENCES at `gone`, so the rebuild built in the old table's place gets none.
 */
export function renamedAway(file: MigrationFile, gone: string): { line: number; from: string } | undefined {
  if (file.tablesAfter?.has(gone.toLowerCase())) return undefined;
  for (const [i, o] of file.outcomes.entries()) {
    const c = o.changes.find((x) => x.kind === "rename-table" && x.table.toLowerCase() === gone.toLowerCase());
    const stmt = file.statements[i];
    if (c?.kind === "rename-table" && stmt) return { line: stmt.line, from: c.from };
  }
  return undefined;
}

/** The first four items joined with commas, and how many more there are: "a, b, c, d and 3 more". */
export function listSome(items: readonly string[], shown = 4): string {
  const head = items.slice(0, shown).join(", ");
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

/** The folder's first database name, as a wrangler command takes it ("shop" of "shop (DB in wrangler.toml)"). */
export function databaseName(dir: Pick<MigrationsDir, "databases">): string {
  return /^(\S+)/.exec(dir.databases[0] ?? "")?.[1] ?? "<database>";
}

/** `"orders"`: identifiers quoted only when they need it, as a user would write them. */
export function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The line of `REFERENCES parent` in the statement at `line`, or that line. */
export function referenceLine(file: MigrationFile, line: number, parent: string): number {
  const stmt = file.statements.find((s) => s.line === line);
  if (!stmt) return line;
  for (const m of stmt.sql.matchAll(/\bREFERENCES\s+["`[]?(\w+)/gi))
    if (m[1]?.toLowerCase() === parent.toLowerCase())
      return line + (stmt.sql.slice(0, m.index).match(/\n/g)?.length ?? 0);
  return line;
}

/**
 * Whether statement `index` failed on the replay only because its own target is a table made outside the
 * migrations: on production, where the table exists, it runs, so what its text says it does still happens.
 */
export function failsOnlyForMissingBase(file: MigrationFile, index: number, target: string): boolean {
  return file.missingBase?.some((m) => m.index === index && m.table.toLowerCase() === target.toLowerCase()) ?? false;
}
