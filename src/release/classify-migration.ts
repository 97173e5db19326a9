import { readFileSync } from "node:fs";
import type { MigrationClass } from "../check/findings.js";

/**
 * Statement-level expand/contract classification of one D1 migration, so `plan` can apply the blast-window rule.
 * The check engine's replay-based classifier (src/check/d1) is the better source and can replace this behind the
 * same `classifyMigration` signature.
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

/** Splits SQL into statements, skipping comments and string literals, and keeping trigger bodies whole. */
export function splitStatements(sql: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let buf = "";
  let line = 1;
  let start = 1;
  const flush = () => {
    const text = buf.trim();
    if (text) out.push({ text, line: start });
    buf = "";
  };
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] ?? "";
    const next = sql[i + 1] ?? "";
    if (!buf.trim()) start = line;
    if (ch === "-" && next === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      line++;
      buf += "\n";
      continue;
    }
    if (ch === "/" && next === "*") {
      i += 2;
      while (i < sql.length && !(sql[i] === "*" && sql[i + 1] === "/")) {
        if (sql[i] === "\n") line++;
        i++;
      }
      i++;
      buf += " ";
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === ch && sql[j + 1] !== ch)) {
        if (sql[j] === ch) j++;
        if (sql[j] === "\n") line++;
        j++;
      }
      buf += sql.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === "\n") line++;
    // A trigger body holds its own semicolons: the statement ends at the `;` after its END.
    const inTrigger = /^\s*CREATE\s+(?:TEMP\w*\s+)?TRIGGER\b/i.test(buf) && !/\bEND\s*$/i.test(buf);
    if (ch === ";" && !inTrigger) {
      flush();
      continue;
    }
    buf += ch;
  }
  flush();
  return out;
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

/** The seam for another classifier (the check engine's replay on SQLite): a migration file → its class. */
export type MigrationClassifier = (path: string) => MigrationClassification;

export function classifyMigrationFile(path: string): MigrationClassification {
  return classifyMigration(readFileSync(path, "utf8"));
}

/** Contract, data and mixed migrations cannot be undone by rolling code back. */
export function isIrreversible(c: MigrationClass): boolean {
  return c !== "expand";
}
