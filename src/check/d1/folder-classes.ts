import { BlastwallError } from "../../core/errors.js";
import type { MigrationClass } from "../findings.js";
import { createReplayer } from "../sql/replay.js";
import { replayFile } from "./analyze.js";
import { classOfChange, contextFor, isDataStatement, writtenColumns } from "./classify.js";
import type { MigrationFile } from "./rule.js";

/** One statement behind a file's class, for messages ("contract: ALTER TABLE orders DROP COLUMN… at line 3"). */
export interface ClassifiedStatement {
  /** 1-based line where the change or data statement is. */
  line: number;
  kind: Exclude<MigrationClass, "mixed">;
  /** The statement's first words, e.g. "ALTER TABLE orders DROP COLUMN". */
  summary: string;
}

export interface FileClass {
  class: MigrationClass;
  statements: ClassifiedStatement[];
  /** False when a statement failed on the replayed history (e.g. a table made outside migrations): the class then covers only what replayed. */
  replayed: boolean;
}

export interface ClassifyFolderOptions {
  /** The binding's `migrations_table`. */
  migrationsTable?: string;
}

const summaryOf = (sql: string) => sql.replace(/\s+/g, " ").trim().split(" ").slice(0, 6).join(" ");

function statementsOf(file: MigrationFile): ClassifiedStatement[] {
  const ctx = contextFor(file.changes, (t) => file.createdHere.has(t.toLowerCase()), {
    written: writtenColumns(file.statements, file.outcomes),
    ...(file.tablesAfter ? { tablesAfter: file.tablesAfter } : {}),
  });
  const textAt = (line: number) =>
    summaryOf(file.statements.find((s) => s.line <= line && line <= s.endLine)?.sql ?? "");
  const changes = file.changes.map((c) => ({ line: c.line, kind: classOfChange(c, ctx), summary: textAt(c.line) }));
  const data = file.outcomes.flatMap((o, i) => {
    const line = file.statements[i]?.line ?? 1;
    return isDataStatement(o) && !file.copyLines.has(line)
      ? [{ line, kind: "data" as const, summary: textAt(line) }]
      : [];
  });
  return [...changes, ...data].sort((a, b) => a.line - b.line);
}

/**
 * The class of every file of a migrations folder, from the replay `check` runs (each file's net effect on the
 * history before it), with the statements behind each class. `plan`'s blast-window rule judges pending files by it,
 * so a rebuild that keeps every column and row is not called irreversible, and check and plan agree.
 *
 * @example
 * const classes = classifyFolder("/p/migrations", ["0001_init.sql", "0002_drop_legacy.sql"]);
 * classes.get("0002_drop_legacy.sql")?.class; // "contract"
 */
export function classifyFolder(
  folder: string,
  names: readonly string[],
  { migrationsTable = "d1_migrations" }: ClassifyFolderOptions = {},
): Map<string, FileClass> {
  const dir = { dir: folder, rel: "." };
  const replayer = createReplayer({ migrationsTable });
  const out = new Map<string, FileClass>();
  try {
    for (const name of names) {
      const file = replayFile(replayer, dir, name);
      if (file.unreadable !== undefined) {
        throw new BlastwallError(`cannot classify migration ${name}: ${file.unreadable}`, {
          location: { file: `${folder}/${name}` },
          fix: "save the migration as UTF-8 SQL text, then plan again",
        });
      }
      const replayed = file.problems.length === 0 && file.outcomes.every((o) => o.error === undefined);
      out.set(name, { class: file.class, statements: statementsOf(file), replayed });
    }
  } finally {
    replayer.close();
  }
  return out;
}
