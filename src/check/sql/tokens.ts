/** A light SQL tokenizer for reading what a statement does: its verb, the objects it names, its WHERE. */

export type TokenKind = "word" | "ident" | "string" | "number" | "punct";

export interface Token {
  kind: TokenKind;
  /** Words upper-cased (for keyword tests); quoted identifiers unquoted as written; strings without quotes. */
  value: string;
  /** As written (unquoted): the name a user gave. */
  text: string;
  /** Parenthesis depth the token sits at (0 = top level of the statement). */
  depth: number;
  /** Offset of the token's first character in the statement's text. */
  at: number;
}

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 128;

/**
 * Tokenizes one statement, skipping comments. Stops after `limit` tokens so a 10 MB INSERT stays cheap:
 * every question asked of a statement is answered by its head.
 *
 * @example
 * tokenize("UPDATE \"orders\" SET x = 1").map((t) => t.value); // ["UPDATE", "orders", "SET", "X", "=", "1"] (values)
 */
export function tokenize(sql: string, limit = 4000): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n && out.length < limit) {
    const c = sql.charCodeAt(i);
    if (c <= 32) {
      i++;
      continue;
    }
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const j = sql.indexOf("\n", i);
      i = j < 0 ? n : j + 1;
      continue;
    }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const j = sql.indexOf("*/", i + 2);
      i = j < 0 ? n : j + 2;
      continue;
    }
    if (c === 39 || c === 34 || c === 96 || c === 91) {
      const close = c === 91 ? "]" : (sql[i] ?? "'");
      let j = i + 1;
      let value = "";
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) {
          value += sql.slice(j);
          j = n;
          break;
        }
        value += sql.slice(j, k);
        if (c !== 91 && sql[k + 1] === close) {
          value += close;
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      out.push({ kind: c === 39 ? "string" : "ident", value, text: value, depth, at: i });
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      const w = sql.slice(i, j);
      out.push({ kind: c >= 48 && c <= 57 ? "number" : "word", value: w.toUpperCase(), text: w, depth, at: i });
      i = j;
      continue;
    }
    if (c === 40) {
      out.push({ kind: "punct", value: "(", text: "(", depth, at: i });
      depth++;
    } else if (c === 41) {
      depth = Math.max(0, depth - 1);
      out.push({ kind: "punct", value: ")", text: ")", depth, at: i });
    } else {
      out.push({ kind: "punct", value: sql[i] ?? "", text: sql[i] ?? "", depth, at: i });
    }
    i++;
  }
  return out;
}

/** The name a token spells, for identifiers: words keep the user's case only when quoted, so compare lower-case. */
export function nameOf(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === "ident" || t.kind === "word" || t.kind === "string") return t.text;
  return undefined;
}

export type StatementVerb =
  | "create-table"
  | "create-index"
  | "create-view"
  | "create-trigger"
  | "create-virtual-table"
  | "drop-table"
  | "drop-index"
  | "drop-view"
  | "drop-trigger"
  | "alter-table"
  | "insert"
  | "replace"
  | "update"
  | "delete"
  | "select"
  | "pragma"
  | "transaction"
  | "other";

export interface StatementInfo {
  verb: StatementVerb;
  /** The object the statement is about: table, index, view or trigger name (schema prefix dropped). */
  target?: string;
  /** For CREATE INDEX / CREATE TRIGGER: the table it is on. For ALTER TABLE … RENAME TO: the new name. */
  table?: string;
  /** CREATE/DROP with IF [NOT] EXISTS: a no-op, not an error, when the object already is (or is not) there. */
  guarded?: boolean;
  /** CREATE UNIQUE INDEX. */
  unique?: boolean;
  /** UPDATE/DELETE with a top-level WHERE; INSERT … SELECT. */
  hasWhere: boolean;
  insertSelect: boolean;
  tokens: Token[];
}

const HEAD_TOKENS = 64;

/** INSERT/REPLACE whose rows come from VALUES (a top-level VALUES before any top-level SELECT). */
function isInsertValues(tokens: readonly Token[]): boolean {
  const v0 = tokens[0]?.value;
  if (v0 !== "INSERT" && v0 !== "REPLACE") return false;
  for (const t of tokens) {
    if (t.depth !== 0 || t.kind !== "word") continue;
    if (t.value === "SELECT") return false;
    if (t.value === "VALUES") return true;
  }
  return false;
}

/** Reads `[schema.]name` at position i; returns the name and the index after it. */
function qualifiedName(tokens: Token[], i: number): [string | undefined, number] {
  const first = nameOf(tokens[i]);
  if (tokens[i + 1]?.value === "." && tokens[i + 1]?.kind === "punct") return [nameOf(tokens[i + 2]), i + 3];
  return [first, i + 1];
}

function skipIfExists(tokens: Token[], i: number): number {
  if (tokens[i]?.value === "IF" && tokens[i]?.kind === "word") {
    if (tokens[i + 1]?.value === "NOT") return i + 3;
    return i + 2;
  }
  return i;
}

type Describe = (tokens: Token[], info: StatementInfo) => void;
const wordAt = (tokens: readonly Token[], k: number) => (tokens[k]?.kind === "word" ? tokens[k]?.value : undefined);

/** CREATE [TEMP] [UNIQUE] TABLE|VIEW|INDEX|TRIGGER|VIRTUAL TABLE name [ON table] */
const describeCreate: Describe = (tokens, info) => {
  const w = (k: number) => wordAt(tokens, k);
  let k = 1;
  if (w(k) === "TEMP" || w(k) === "TEMPORARY") k++;
  if (w(k) === "UNIQUE") {
    info.unique = true;
    k++;
  }
  const kind = w(k);
  if (kind === "VIRTUAL" && w(k + 1) === "TABLE") {
    info.verb = "create-virtual-table";
    [info.target] = qualifiedName(tokens, skipIfExists(tokens, k + 2));
  } else if (kind === "TABLE" || kind === "VIEW" || kind === "INDEX" || kind === "TRIGGER") {
    info.verb = `create-${kind.toLowerCase()}` as StatementVerb;
    info.guarded = skipIfExists(tokens, k + 1) !== k + 1;
    const [target, after] = qualifiedName(tokens, skipIfExists(tokens, k + 1));
    info.target = target;
    if (kind === "INDEX" || kind === "TRIGGER") {
      const on = tokens.findIndex((t, idx) => idx >= after && t.kind === "word" && t.value === "ON");
      if (on >= 0) [info.table] = qualifiedName(tokens, on + 1);
    }
  }
};

const describeDrop: Describe = (tokens, info) => {
  const kind = wordAt(tokens, 1);
  if (kind === "TABLE" || kind === "VIEW" || kind === "INDEX" || kind === "TRIGGER") {
    info.verb = `drop-${kind.toLowerCase()}` as StatementVerb;
    info.guarded = skipIfExists(tokens, 2) !== 2;
    [info.target] = qualifiedName(tokens, skipIfExists(tokens, 2));
  }
};

const describeAlter: Describe = (tokens, info) => {
  if (wordAt(tokens, 1) !== "TABLE") return;
  info.verb = "alter-table";
  const [target, after] = qualifiedName(tokens, 2);
  info.target = target;
  if (wordAt(tokens, after) === "RENAME" && wordAt(tokens, after + 1) === "TO") info.table = nameOf(tokens[after + 2]);
};

const describeInsert: Describe = (tokens, info) => {
  const replace = wordAt(tokens, 0) === "REPLACE" || (wordAt(tokens, 1) === "OR" && wordAt(tokens, 2) === "REPLACE");
  info.verb = replace ? "replace" : "insert";
  const into = tokens.findIndex((t) => t.kind === "word" && t.value === "INTO");
  if (into >= 0) [info.target] = qualifiedName(tokens, into + 1);
  info.insertSelect = tokens.some((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
};

/** UPDATE, DELETE, or WITH … (the verb is the first top-level UPDATE/DELETE/INSERT/SELECT after the CTEs). */
const describeWrite: Describe = (tokens, info) => {
  const verbAt =
    wordAt(tokens, 0) === "WITH"
      ? tokens.findIndex(
          (t) =>
            t.depth === 0 && t.kind === "word" && ["UPDATE", "DELETE", "INSERT", "SELECT", "REPLACE"].includes(t.value),
        )
      : 0;
  const verb = tokens[verbAt]?.value;
  if (verb === "UPDATE" || verb === "DELETE") {
    info.verb = verb === "UPDATE" ? "update" : "delete";
    let k = verbAt + 1;
    if (verb === "DELETE" && wordAt(tokens, k) === "FROM") k++;
    if (verb === "UPDATE" && wordAt(tokens, k) === "OR") k += 2;
    [info.target] = qualifiedName(tokens, k);
    info.hasWhere = tokens.some((t, idx) => idx > verbAt && t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  } else if (verb === "INSERT" || verb === "REPLACE") {
    info.verb = "insert";
    info.insertSelect = true;
    const into = tokens.findIndex((t, idx) => idx > verbAt && t.kind === "word" && t.value === "INTO");
    if (into >= 0) [info.target] = qualifiedName(tokens, into + 1);
  } else if (verb === "SELECT") info.verb = "select";
};

const setVerb =
  (verb: StatementVerb): Describe =>
  (_tokens, info) => {
    info.verb = verb;
  };

/** How each leading keyword is described. */
const BY_FIRST_WORD: Record<string, Describe> = {
  CREATE: describeCreate,
  DROP: describeDrop,
  ALTER: describeAlter,
  INSERT: describeInsert,
  REPLACE: describeInsert,
  UPDATE: describeWrite,
  DELETE: describeWrite,
  WITH: describeWrite,
  SELECT: setVerb("select"),
  VALUES: setVerb("select"),
  PRAGMA: (tokens, info) => {
    info.verb = "pragma";
    [info.target] = qualifiedName(tokens, 1);
  },
  BEGIN: setVerb("transaction"),
  COMMIT: setVerb("transaction"),
  END: setVerb("transaction"),
  SAVEPOINT: setVerb("transaction"),
  RELEASE: setVerb("transaction"),
  ROLLBACK: setVerb("transaction"),
};

/**
 * Names the statement's verb and the objects it touches.
 *
 * @example
 * describeStatement("CREATE UNIQUE INDEX idx ON orders (sku)"); // { verb: "create-index", target: "idx", table: "orders", … }
 */
export function describeStatement(sql: string): StatementInfo {
  // The head answers everything for INSERT … VALUES, the bulk of a big data migration; tokenize the rest only
  // for other statements.
  let tokens = tokenize(sql, HEAD_TOKENS);
  if (tokens.length >= HEAD_TOKENS && !isInsertValues(tokens)) tokens = tokenize(sql);
  const info: StatementInfo = { verb: "other", hasWhere: false, insertSelect: false, tokens };
  const first = wordAt(tokens, 0);
  if (first !== undefined && Object.hasOwn(BY_FIRST_WORD, first)) BY_FIRST_WORD[first]?.(tokens, info);
  return info;
}

const SET_ENDS = new Set(["WHERE", "FROM", "RETURNING", "ORDER", "LIMIT"]);
const NAME_TOKENS = new Set<TokenKind>(["word", "ident", "string"]);

/** One `SET` assignment: the column (or the columns of a `(b, c) = …` tuple), lower-cased, and its value's tokens. */
export interface SetAssignment {
  columns: string[];
  value: Token[];
}

/**
 * The assignments of a plain `UPDATE t SET a = …, (b, c) = …`; undefined for any other statement or one this reading
 * is not sure of (`UPDATE OR REPLACE`, a WITH prefix, an unexpected token).
 *
 * @example
 * setAssignments(tokenize("UPDATE t SET n = n + 1 WHERE id = 1"))?.[0]?.columns; // ["n"]
 */
export function setAssignments(tokens: readonly Token[]): SetAssignment[] | undefined {
  if (tokens[0]?.value !== "UPDATE" || tokens[1]?.value === "OR") return undefined;
  let i = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SET");
  if (i < 0) return undefined;
  const out: SetAssignment[] = [];
  for (;;) {
    const t = tokens[++i];
    if (!t) return undefined;
    const columns: string[] = [];
    if (t.value === "(" && t.kind === "punct") {
      while (tokens[++i]?.value !== ")") {
        const c = tokens[i];
        if (!c) return undefined;
        if (NAME_TOKENS.has(c.kind)) columns.push(c.text.toLowerCase());
        else if (c.value !== ",") return undefined;
      }
    } else if (NAME_TOKENS.has(t.kind)) columns.push(t.text.toLowerCase());
    else return undefined;
    if (tokens[++i]?.value !== "=") return undefined;
    const value: Token[] = [];
    out.push({ columns, value });
    // The value runs up to the next top-level comma (another assignment) or the clause after SET.
    for (;;) {
      const v = tokens[++i];
      if (!v) return out;
      if (v.depth === 0 && v.kind === "word" && SET_ENDS.has(v.value)) return out;
      if (v.depth === 0 && v.value === ",") break;
      value.push(v);
    }
  }
}

/**
 * The columns a plain `UPDATE t SET a = …, (b, c) = …` assigns, lower-cased; undefined when `setAssignments` is.
 *
 * @example
 * updatedColumns(tokenize("UPDATE t SET status = 'x', n = n + 1 WHERE id = 1")); // Set { "status", "n" }
 */
export function updatedColumns(tokens: readonly Token[]): Set<string> | undefined {
  const assignments = setAssignments(tokens);
  return assignments && new Set(assignments.flatMap((a) => a.columns));
}
