import { tokenize } from "../sql/tokens.js";
import type { FailureCause, MigrationFile } from "./rule.js";

const lc = (s: string) => s.toLowerCase();
const bare = (s: string) => lc(s.replace(/^main\./i, "").replace(/^["'`[]|["'`\]]$/g, ""));

/**
 * The object a failing statement clashes with: a column, table, index, view or trigger that exists (the keys of
 * `madeKeys`), or a table or column that is missing. Undefined for any other failure.
 */
function clashKey(message: string, target: string | undefined): string | undefined {
  const t = target === undefined ? "" : bare(target);
  let m = /^duplicate column name: (\S+)/.exec(message);
  if (m?.[1]) return `col:${t}.${bare(m[1])}`;
  m = /^(table|index|view|trigger) (\S+) already exists/.exec(message);
  if (m?.[1] && m[2]) return `${m[1]}:${bare(m[2])}`;
  m = /^no such table: (\S+)/.exec(message);
  if (m?.[1]) return `gone:${bare(m[1])}`;
  m = /^table (\S+) has no column named (\S+)/.exec(message);
  if (m?.[1] && m[2]) return `gonecol:${bare(m[1])}.${bare(m[2])}`;
  m = /^no such column: (\S+)/.exec(message);
  if (m?.[1]) {
    const name = bare(m[1]);
    return name.includes(".") ? `gonecol:${name}` : `gonecol:${t}.${name}`;
  }
  return undefined;
}

/** A clash key's table (empty for a table-level key) and the object it names. */
function keyParts(key: string | undefined): { table: string; name: string } {
  if (key === undefined) return { table: "", name: "" };
  const body = key.slice(key.indexOf(":") + 1);
  if (!key.startsWith("col:") && !key.startsWith("gonecol:")) return { table: "", name: body };
  const dot = body.lastIndexOf(".");
  return { table: body.slice(0, dot), name: body.slice(dot + 1) };
}

/** What a file made on the replay, as `clashKey` keys: what a later statement can clash with. */
function madeKeys(file: MigrationFile): string[] {
  return file.outcomes.flatMap((o) =>
    o.changes.flatMap((c): string[] => {
      const t = bare(c.table);
      switch (c.kind) {
        case "add-column":
        case "rename-column":
          return [`col:${t}.${bare(c.column.name)}`];
        case "create-table":
        case "rename-table":
          return [`table:${t}`];
        case "add-index":
          return [`index:${bare(c.index.name)}`];
        case "create-view":
        case "create-trigger":
          return [`${c.kind.slice(7)}:${bare(c.name)}`];
        default:
          return [];
      }
    }),
  );
}

/**
 * Failures that only follow from an earlier failure. D1 runs a migration file as one transaction: when a statement
 * fails, the whole file rolls back. The replay goes on past it so that later files are still checked, and so it
 * keeps the rest of that file's effects. A later statement that clashes with something only that file made (adds a
 * column it added) fails only on the replay. So does a statement after a failed schema change, in the same file, that
 * names what that change would have changed (a column re-added after a DROP that failed). A later read of a table the
 * failed file dropped is not one: where the file rolled back, it meets the old table, which may fail its own way.
 * Tracked across one folder's files, in apply order.
 *
 * @example
 * const failures = createFailureTracker();
 * for (const file of files) file.followsFailure = failures.follow(file, (i) => isMissingBase(file, i));
 */
export function createFailureTracker() {
  const kept = new Map<string, FailureCause>();
  return {
    /**
     * The file's failing statements (by index) that follow from an earlier failure. `excused` marks failures that are
     * not the file's own (a table made outside migrations): they neither fail the file nor follow from anything.
     */
    follow(file: MigrationFile, excused: (index: number) => boolean): Map<number, FailureCause> {
      const follows = new Map<number, FailureCause>();
      const failedHere: { line: number; table: string; names: Set<string> }[] = [];
      const taken: string[] = [];
      let failedAt: number | undefined;
      file.outcomes.forEach((o, i) => {
        const stmt = file.statements[i];
        if (!o.error || !stmt || excused(i)) return;
        const key = clashKey(o.error.message, o.target);
        const { table, name } = keyParts(key);
        // Within the file: an earlier failed statement on the same table that names the same object.
        const inFile = failedHere.find((f) => f.names.has(name) && (table === "" || f.table === table));
        // Across files only a clash with something the failed file made: where it rolled back, this statement is
        // the one that makes it.
        const earlier = key ? kept.get(key) : undefined;
        if (key && inFile) {
          follows.set(i, { rel: file.rel, line: inFile.line, sameFile: true });
          return;
        }
        if (key && earlier) {
          follows.set(i, earlier);
          // Where the failed file rolled back, this statement made the object: a later clash with it is real.
          taken.push(key);
          return;
        }
        failedAt ??= o.error.line;
        // Only a schema change that failed leaves later statements of the file on the wrong schema.
        if (/^(?:create|drop|alter)-/.test(o.verb))
          failedHere.push({
            line: o.error.line,
            table: o.target === undefined ? "" : bare(o.target),
            names: new Set(
              tokenize(stmt.sql).flatMap((t) => (t.kind === "ident" || t.kind === "word" ? [bare(t.text)] : [])),
            ),
          });
      });
      if (failedAt !== undefined)
        for (const key of madeKeys(file)) kept.set(key, { rel: file.rel, line: failedAt, sameFile: false });
      // A file that applies puts back what it creates: a clash with it now is the file's own.
      else for (const key of [...madeKeys(file), ...taken]) kept.delete(key);
      return follows;
    },
  };
}
