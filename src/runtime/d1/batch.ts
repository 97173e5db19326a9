import { MAX_BOUND_PARAMS, MAX_STATEMENT_BYTES, type Sql, type SqlValue, sql, statementBytes } from "./sql.js";

export interface BatchLimits {
  /** Bound parameters per statement. Default 100 (D1's limit). */
  maxParams?: number;
  /** Bytes per statement, text plus values. Default 100,000 (D1's 100 KB). */
  maxBytes?: number;
}

export interface InsertBatchesOptions extends BatchLimits {
  /** `INSERT OR IGNORE` / `OR REPLACE`; default a plain INSERT. */
  or?: "IGNORE" | "REPLACE";
}

function limitsOf({ maxParams = MAX_BOUND_PARAMS, maxBytes = MAX_STATEMENT_BYTES }: BatchLimits) {
  if (maxParams < 1 || maxParams > MAX_BOUND_PARAMS) throw new RangeError(`maxParams must be 1-${MAX_BOUND_PARAMS}`);
  return { maxParams, maxBytes };
}

/**
 * Splits values across as many statements as it takes to keep each one within D1's limits, preserving order.
 * `build` receives a `?, ?, …` list fragment (as from `sql.list`) and returns the full statement.
 *
 * @example
 * const stmts = inChunks(ids, (list) => sql`DELETE FROM sessions WHERE id IN (${list})`);
 * await env.DB.batch(stmts.map((s) => s.prepare(env.DB)));
 */
export function inChunks(values: readonly SqlValue[], build: (list: Sql) => Sql, limits: BatchLimits = {}): Sql[] {
  return chunk(
    values.map((v) => [v]),
    (rows) => build(sql.list(rows.flat())),
    limits,
  );
}

/**
 * Multi-row INSERTs for `rows`, each statement under D1's 100 parameters and 100 KB. Run them in one `db.batch`
 * to insert all rows in one transaction.
 *
 * @example
 * const stmts = insertBatches("order_items", ["order_id", "sku", "quantity"], items.map((i) => [id, i.sku, i.qty]));
 * await env.DB.batch(stmts.map((s) => s.prepare(env.DB)));
 */
export function insertBatches(
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SqlValue[])[],
  { or, ...limits }: InsertBatchesOptions = {},
): Sql[] {
  if (columns.length === 0) throw new RangeError("insertBatches needs at least one column");
  rows.forEach((r, i) => {
    if (r.length !== columns.length) {
      throw new RangeError(`insertBatches row ${i} has ${r.length} values for ${columns.length} columns`);
    }
  });
  const head = sql`INSERT${or === undefined ? sql`` : or === "IGNORE" ? sql` OR IGNORE` : sql` OR REPLACE`} INTO ${sql.id(
    table,
  )} (${sql.join(columns.map((c) => sql`${sql.id(c)}`))}) VALUES `;
  return chunk(rows, (part) => sql`${head}${sql.join(part.map((r) => sql`(${sql.list(r)})`))}`, limits);
}

/** Greedy packing: add rows while the built statement stays within both limits. */
function chunk<T extends readonly SqlValue[]>(
  rows: readonly T[],
  build: (rows: readonly T[]) => Sql,
  limits: BatchLimits,
): Sql[] {
  const { maxParams, maxBytes } = limitsOf(limits);
  const fits = (s: Sql): boolean => s.params.length <= maxParams && statementBytes(s) <= maxBytes;
  const tooBig = (s: Sql): RangeError =>
    new RangeError(
      `one row alone makes a statement of ${s.params.length} parameters / ${statementBytes(s)} bytes, over the limit (${maxParams} / ${maxBytes})`,
    );
  const out: Sql[] = [];
  let current: T[] = [];
  let built: Sql | undefined;
  for (const row of rows) {
    const candidate = build([...current, row]);
    if (fits(candidate)) {
      current.push(row);
      built = candidate;
      continue;
    }
    if (built === undefined) throw tooBig(candidate);
    out.push(built);
    current = [row];
    built = build(current);
    if (!fits(built)) throw tooBig(built);
  }
  if (built !== undefined) out.push(built);
  return out;
}
