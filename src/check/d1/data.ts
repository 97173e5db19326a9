import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import Database from "better-sqlite3";
import { BlastwallError } from "../../core/errors.js";
import { errorLine } from "../sql/replay.js";
import { splitStatements } from "../sql/split.js";

const SQLITE_MAGIC = "SQLite format 3\u0000";

function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `--data` as a private in-memory copy: a SQLite file (a copy of production, or `.wrangler/state` D1 file)
 * or a `.sql` dump from `wrangler d1 export`. The user's file is never written to.
 *
 * @example
 * const db = loadDataSnapshot("prod.sql");
 * db.prepare("SELECT count(*) FROM orders").get();
 */
export function loadDataSnapshot(path: string, display = path): Database.Database {
  let magic: Buffer;
  try {
    magic = head(path, 16);
  } catch (err) {
    throw new BlastwallError(`cannot read --data: ${(err as Error).message}`, {
      location: { file: display },
      fix: "pass a SQLite file or a .sql dump made with `wrangler d1 export <db> --remote --output=prod.sql`",
    });
  }
  if (magic.toString("latin1") === SQLITE_MAGIC) {
    try {
      const src = new Database(path, { readonly: true, fileMustExist: true });
      const bytes = src.serialize();
      src.close();
      return new Database(bytes);
    } catch (err) {
      throw new BlastwallError(`cannot open --data as SQLite: ${(err as Error).message}`, {
        location: { file: display },
        fix: "pass an intact SQLite database file, or a .sql dump from `wrangler d1 export`",
      });
    }
  }
  const text = readFileSync(path, "utf8");
  if (text.includes("\u0000")) {
    throw new BlastwallError("--data is neither a SQLite database nor a SQL text dump", {
      location: { file: display },
      fix: "pass a SQLite file or a .sql dump made with `wrangler d1 export`",
    });
  }
  const db = new Database(":memory:");
  const { statements, problems } = splitStatements(text);
  const problem = problems[0];
  if (problem) {
    db.close();
    throw new BlastwallError(`--data dump: ${problem.message}`, {
      location: { file: display, line: problem.line, column: problem.column },
      fix: "re-export the dump with `wrangler d1 export`; a truncated file leaves a string open",
    });
  }
  // A dump loads with foreign keys off, as `wrangler d1 export` output expects (tables come in name order).
  db.pragma("foreign_keys = OFF");
  db.exec("BEGIN");
  for (const s of statements) {
    const verb = /^\s*(\w+)/.exec(s.sql)?.[1]?.toUpperCase();
    if (verb === "BEGIN" || verb === "COMMIT" || verb === "END" || verb === "PRAGMA") continue;
    try {
      db.prepare(s.sql).run();
    } catch (err) {
      db.close();
      throw new BlastwallError(`--data dump does not load: ${(err as Error).message}`, {
        location: { file: display, line: errorLine(s, (err as Error).message), column: s.column },
        fix: "pass the dump exactly as `wrangler d1 export` wrote it",
      });
    }
  }
  db.exec("COMMIT");
  return db;
}
