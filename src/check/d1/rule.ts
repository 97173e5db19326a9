import type { MigrationClass, RuleMeta, Severity } from "../findings.js";
import type { Change, Located } from "../sql/diff.js";
import type { FileOutcome, StatementOutcome } from "../sql/replay.js";
import type { SplitProblem, SqlComment, SqlStatement } from "../sql/split.js";
import type { MigrationsDir } from "./migrations.js";

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
  /** Lines of the INSERT … SELECT statements that copy rows during a rebuild. */
  copyLines: Set<number>;
  classes: Set<Exclude<MigrationClass, "mixed">>;
  class: MigrationClass;
  /** Replay on `--data`, when this file is pending there. */
  data?: FileOutcome;
}

export interface D1RuleContext {
  file: MigrationFile;
  /** The `--data` file as the user gave it, for messages. */
  dataLabel?: string;
}

export interface RuleHit {
  line: number;
  column?: number;
  message: string;
  fix: string;
  data?: Record<string, unknown>;
  /** Overrides the rule's default severity for this hit. */
  severity?: Severity;
}

/** One D1 rule: one file under src/check/rules/d1/, docs at docs/rules/d1/<name>.md. */
export interface D1Rule {
  meta: RuleMeta;
  check(ctx: D1RuleContext): RuleHit[];
}

/** What a rule over a whole migrations folder reads: the folder and its files in apply order. */
export interface D1FolderContext {
  dir: MigrationsDir;
  names: readonly string[];
}

/** A folder rule's hit names the file it is about. */
export interface FolderHit extends RuleHit {
  /** File name inside the folder. */
  name: string;
}

/** A rule over one migrations folder (ordering, stray files): one file under src/check/rules/d1/. */
export interface D1FolderRule {
  meta: RuleMeta;
  checkFolder(ctx: D1FolderContext): FolderHit[];
}

/**
 * Declares a D1 rule.
 *
 * @example
 * export default defineD1Rule({
 *   meta: { id: "d1/drop-table", severity: "error", summary: "DROP TABLE on a table that code may still use" },
 *   check: ({ file }) => [],
 * });
 */
export function defineD1Rule(rule: D1Rule): D1Rule {
  return rule;
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

/** `"orders"`: identifiers quoted only when they need it, as a user would write them. */
export function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
