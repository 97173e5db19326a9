/** What D1 can bind. `undefined` is refused: D1 would reject it at run time with a vaguer message. */
export type SqlValue = string | number | boolean | null | ArrayBuffer | ArrayBufferView;

/** D1's limit on bound parameters in one statement. */
export const MAX_BOUND_PARAMS = 100;
/** D1's limit on one SQL statement: 100 KB. */
export const MAX_STATEMENT_BYTES = 100_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const encoder = new TextEncoder();

/** A validated, double-quoted identifier. Only {@link sql.id} makes one. */
export class SqlIdentifier {
  readonly quoted: string;
  /** @internal use `sql.id()` */
  constructor(quoted: string) {
    this.quoted = quoted;
  }
}

/**
 * A SQL statement or fragment whose values are always bound parameters, never spliced text.
 * Build it with the {@link sql} tag; run it with `.prepare(db)`.
 */
export class Sql {
  readonly text: string;
  readonly params: readonly SqlValue[];
  /** @internal use the `sql` tag */
  constructor(text: string, params: readonly SqlValue[]) {
    this.text = text;
    this.params = params;
  }

  /**
   * `db.prepare(text).bind(...params)`. Refuses statements over D1's 100-parameter or 100 KB limits with a clear
   * error, before D1 does so with a vague one.
   */
  prepare(db: D1Database): D1PreparedStatement {
    if (this.params.length > MAX_BOUND_PARAMS) {
      throw new RangeError(
        `statement binds ${this.params.length} parameters; D1 allows ${MAX_BOUND_PARAMS}. Split it with insertBatches() or inChunks()`,
      );
    }
    const bytes = statementBytes(this);
    if (bytes > MAX_STATEMENT_BYTES) {
      throw new RangeError(`statement is ${bytes} bytes; D1 allows ${MAX_STATEMENT_BYTES}. Split it into smaller ones`);
    }
    const stmt = db.prepare(this.text);
    return this.params.length === 0 ? stmt : stmt.bind(...this.params);
  }
}

function checkValue(value: unknown, index: number): SqlValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`sql parameter ${index + 1} is ${value}; bind a finite number`);
    return value;
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
  throw new TypeError(
    `sql parameter ${index + 1} is ${value === undefined ? "undefined" : typeof value}; bind a string, number, boolean, null or bytes (use null for "no value")`,
  );
}

/** Size of a statement as D1 counts toward its limit: the text plus the bound values. */
export function statementBytes(statement: Sql): number {
  let n = encoder.encode(statement.text).byteLength;
  for (const p of statement.params) {
    if (typeof p === "string") n += encoder.encode(p).byteLength;
    else if (p instanceof ArrayBuffer || ArrayBuffer.isView(p)) n += p.byteLength;
    else n += 8;
  }
  return n;
}

type Interpolation = SqlValue | Sql | SqlIdentifier;

/**
 * Tagged template that always binds: every `${value}` becomes a `?` parameter. Nested `sql` fragments are spliced
 * with their parameters; identifiers only through `sql.id()`.
 *
 * @example
 * const order = await sql`SELECT * FROM orders WHERE id = ${id}`.prepare(env.DB).first();
 * await sql`UPDATE ${sql.id(table)} SET status = ${"paid"} WHERE id = ${id}`.prepare(env.DB).run();
 */
function sqlTag(strings: TemplateStringsArray, ...values: Interpolation[]): Sql {
  // A real template literal always has `raw`; a plain array here means someone built the "template" from a string.
  if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
    throw new TypeError("sql must be used as a tagged template (sql`…`), so every interpolated value is bound");
  }
  let text = strings[0] ?? "";
  const params: SqlValue[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      text += value.text;
      params.push(...value.params);
    } else if (value instanceof SqlIdentifier) {
      text += value.quoted;
    } else {
      text += "?";
      params.push(checkValue(value, params.length));
    }
    text += strings[i + 1] ?? "";
  });
  return new Sql(text, params);
}

/**
 * An identifier (table or column) for the `sql` tag. Allows `name` or `table.column`, each part a plain SQL name
 * (letters, digits, `_`, not starting with a digit); anything else throws.
 */
function id(name: string): SqlIdentifier {
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new TypeError(
      `sql.id(${JSON.stringify(name)}): not a plain SQL identifier; use letters, digits and _ (table or table.column)`,
    );
  }
  return new SqlIdentifier(parts.map((p) => `"${p}"`).join("."));
}

/** Joins fragments with a fixed separator, e.g. the SET list of an UPDATE or the arms of a WHERE. */
function join(parts: readonly Sql[], separator: ", " | " AND " | " OR " = ", "): Sql {
  return new Sql(
    parts.map((p) => p.text).join(separator),
    parts.flatMap((p) => p.params),
  );
}

/** `?, ?, ?` for an `IN (…)` list. An empty list throws: `IN ()` is not valid SQL. */
function list(values: readonly SqlValue[]): Sql {
  if (values.length === 0)
    throw new RangeError("sql.list([]) is empty; skip the query instead (IN () is not valid SQL)");
  return new Sql(values.map(() => "?").join(", "), values.map(checkValue));
}

export const sql: typeof sqlTag & { id: typeof id; join: typeof join; list: typeof list } = Object.assign(sqlTag, {
  id,
  join,
  list,
});
