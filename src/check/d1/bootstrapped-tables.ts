import { relative, sep } from "node:path";
import { git } from "./git-history.js";

/** Where the app created a table itself, before a migration took over. */
export interface Bootstrap {
  /** The file that ran `CREATE TABLE`, relative to the repository root. */
  file: string;
  /** The commit that added that line, and its committer time (seconds since the epoch). */
  commit: string;
  time: number;
}

/** Source files an app runs its own `CREATE TABLE` from (not SQL files, which are migrations or docs). */
const CODE = ["*.ts", "*.js", "*.mjs", "*.cjs", "*.tsx", "*.jsx"];
/** `CREATE TABLE [IF NOT EXISTS] name` in an added line of code. */
const CREATE = /\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["`[]?(\w+)/gi;
/** A Durable Object's own SQLite (`this.sql.exec`, `ctx.storage.sql`) is another database. */
const DURABLE_OBJECT = /\bsql\.exec\s*\(|storage\.sql\b/;

/**
 * The tables the project's code created at run time (`db.prepare("CREATE TABLE IF NOT EXISTS feed …")`), from the
 * whole git history outside the migrations folder `dir`: lower-cased table → the first commit that added such a line.
 * Empty outside a repository.
 *
 * @example
 * bootstrappedTables("/repo/migrations").get("feed"); // { file: "functions/api/create.js", commit: "bc55064…", time: 1705974914 }
 */
export function bootstrappedTables(dir: string): Map<string, Bootstrap> {
  const out = new Map<string, Bootstrap>();
  const top = git(dir, ["rev-parse", "--show-toplevel"])?.trim();
  if (!top) return out;
  const exclude = relative(top, dir).split(sep).join("/") || ".";
  const log = git(top, [
    "-c",
    "core.quotepath=off",
    "log",
    "-p",
    "--no-color",
    "--format=%x01%H %ct",
    "-G",
    "CREATE TABLE",
    "-i",
    "--",
    ...CODE,
    `:(exclude)${exclude}`,
  ]);
  if (!log) return out;
  let commit = "";
  let time = 0;
  let file = "";
  for (const line of log.split("\n")) {
    // A commit line starts with \x01: hunk headers start with "@@".
    if (line.startsWith("\x01")) {
      const [id = "", t = "0"] = line.slice(1).split(" ");
      commit = id;
      time = Number(t);
    } else if (line.startsWith("+++ ")) {
      file = line.slice(4).replace(/^b\//, "");
    } else if (line.startsWith("+") && !DURABLE_OBJECT.test(line)) {
      for (const m of line.matchAll(CREATE)) {
        const table = m[1]?.toLowerCase();
        // git log runs newest first: the last one seen is the first commit that added it.
        if (table && !/^(temp|tmp)_?/.test(table)) out.set(table, { file, commit, time });
      }
    }
  }
  return out;
}
