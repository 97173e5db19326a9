import { readFileSync } from "node:fs";
import type { MigrationClass } from "../check/findings.js";
import { splitStatements as splitSql } from "../check/sql/split.js";

/**
 * Statement-level expand/contract classification of one D1 migration, from its text alone. `plan` judges pending
 * files by check's replay (src/check/d1/folder-classes.ts); this is its fallback for a file whose statements fail
 * on the replayed history (a table made outside migrations), where the stricter of the two classes wins.
 */

export type StatementKind = "expand" | "contract" | "data" | "neutral";

export interface ClassifiedStatement {
  /** 1-based line where the statement starts. */
  line: number;
  kind: StatementKind;
  /** The statement's first words, e.g. "ALTER TABLE orders DROP COLUMN". */
  summary: string;
}

export interface MigrationClassification {
  class: MigrationClass;
  statements: ClassifiedStatement[];
}

/** Splits SQL into statements with the check engine's splitter (strings, comments, trigger bodies). */
export function splitStatements(sql: string): { text: string; line: number }[] {
  return splitSql(sql).statements.map((st) => ({ text: st.sql, line: st.line }));
}

const NAME = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w.]+)`;

function unquote(name: string): string {
  return name.replace(/^["`[]|["`\]]$/g, "").toLowerCase();
}

/** Classifies one statement; `created` holds tables created earlier in the same file (seeding them is expand). */
export function classifyStatement(text: string, created: Set<string>): StatementKind {
  const s = text.replace(/\s+/g, " ").trim();
  const createTable = new RegExp(`^CREATE (?:TEMP(?:ORARY)? )?TABLE (?:IF NOT EXISTS )?(${NAME})`, "i").exec(s);
  if (createTable?.[1]) {
    created.add(unquote(createTable[1]));
    return "expand";
  }
  if (/^CREATE (?:UNIQUE )?INDEX|^CREATE (?:TEMP(?:ORARY)? )?(?:VIEW|TRIGGER)|^CREATE VIRTUAL TABLE/i.test(s)) {
    return "expand";
  }
  if (/^ALTER TABLE \S+ ADD (?:COLUMN )?/i.test(s)) return "expand";
  if (/^ALTER TABLE \S+ (?:DROP|RENAME)\b/i.test(s)) return "contract";
  if (/^DROP (?:TABLE|INDEX|VIEW|TRIGGER)\b/i.test(s)) return "contract";
  const insert = new RegExp(`^(?:INSERT|REPLACE)(?: OR \\w+)? INTO (${NAME})`, "i").exec(s);
  if (insert?.[1]) return created.has(unquote(insert[1])) ? "expand" : "data";
  if (/^(?:UPDATE|DELETE)\b|^WITH\b.*\b(?:UPDATE|DELETE|INSERT)\b/i.test(s)) return "data";
  return "neutral";
}

/**
 * Classifies a migration's SQL: only additive statements → expand; only removals or renames → contract;
 * only row changes → data; several kinds → mixed. Pure SQL text (no pragmas or transactions) → expand.
 *
 * @example
 * classifyMigration("ALTER TABLE orders ADD COLUMN note TEXT;").class; // "expand"
 * classifyMigration("ALTER TABLE orders DROP COLUMN legacy;").class;   // "contract"
 */
export function classifyMigration(sql: string): MigrationClassification {
  const created = new Set<string>();
  const statements = splitStatements(sql).map(({ text, line }) => ({
    line,
    kind: classifyStatement(text, created),
    summary: text.replace(/\s+/g, " ").split(" ").slice(0, 6).join(" "),
  }));
  const kinds = new Set(statements.map((s) => s.kind).filter((k) => k !== "neutral"));
  const only = [...kinds];
  const cls: MigrationClass = only.length === 0 ? "expand" : only.length === 1 ? (only[0] as MigrationClass) : "mixed";
  return { class: cls, statements };
}

/** A migration file → its class from its text alone (the fallback where the replay cannot run the file). */
export type MigrationClassifier = (path: string) => MigrationClassification;

export function classifyMigrationFile(path: string): MigrationClassification {
  return classifyMigration(readFileSync(path, "utf8"));
}

/** Contract, data and mixed migrations cannot be undone by rolling code back. */
export function isIrreversible(c: MigrationClass): boolean {
  return c !== "expand";
}
