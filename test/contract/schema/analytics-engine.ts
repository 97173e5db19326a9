/**
 * The Analytics Engine SQL API as documented (https://developers.cloudflare.com/analytics/analytics-engine/sql-api/
 * and its SQL reference): a dataset has `timestamp`, `_sample_interval`, `index1`, `blob1`…`blob20` and
 * `double1`…`double20`; `FORMAT JSON` answers `{ meta: [{ name, type }], data: [row], rows }` whose columns are the
 * query's selected names (ClickHouse quotes 64-bit integers as strings).
 */

const COLUMN = /\b(blob|double|index)(\d+)\b/g;

/** The names a SELECT list gives its columns: each `AS alias`, else the bare column. */
function selectedNames(sql: string): string[] {
  const list = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s/i.exec(sql)?.[1] ?? "";
  return list.split(",").map((part) => {
    const alias = /\bAS\s+(\w+)\s*$/i.exec(part.trim())?.[1];
    return alias ?? part.trim();
  });
}

function requestProblems(sql: string): string[] {
  const out: string[] = [];
  if (!/\bFORMAT JSON\s*$/.test(sql)) out.push("the query does not end with FORMAT JSON");
  if (!/\bFROM\s+[A-Za-z_][A-Za-z0-9_]*\s/i.test(sql)) out.push("the query names no dataset (FROM <identifier>)");
  for (const [, kind, n] of sql.matchAll(COLUMN)) {
    const max = kind === "index" ? 1 : 20;
    if (Number(n) < 1 || Number(n) > max) out.push(`${kind}${n} is not a column (${kind}1…${kind}${max})`);
  }
  return out;
}

function answerProblems(sql: string, answer: unknown): string[] {
  const doc = answer as { meta?: { name?: unknown; type?: unknown }[]; data?: Record<string, unknown>[] };
  const names = selectedNames(sql);
  const out: string[] = [];
  if (!Array.isArray(doc?.meta) || !Array.isArray(doc?.data)) return ["the answer is not FORMAT JSON (meta, data)"];
  const metaNames = doc.meta.map((m) => String(m.name));
  if (metaNames.join() !== names.join()) out.push(`meta names [${metaNames}] are not the selected [${names}]`);
  const types = new Map(doc.meta.map((m) => [String(m.name), String(m.type)]));
  for (const [i, row] of doc.data.entries()) {
    for (const [k, v] of Object.entries(row)) {
      const type = types.get(k);
      if (!names.includes(k)) out.push(`data[${i}].${k} was not selected`);
      else if (type === "String" && typeof v !== "string") out.push(`data[${i}].${k} is a ${type} but not a string`);
      else if (type === "UInt64" && !(typeof v === "string" && /^\d+$/.test(v))) {
        out.push(`data[${i}].${k}: FORMAT JSON quotes a UInt64 ("${String(v)}")`);
      } else if (type === "Float64" && typeof v !== "number") out.push(`data[${i}].${k} is a Float64 but not a number`);
    }
  }
  return out;
}

/**
 * What is wrong with one SQL API call: the query against the dataset's columns, and the canned answer against the
 * query's selected names and their types.
 *
 * @example
 * checkAnalyticsSql("SELECT blob1 AS v FROM ds FORMAT JSON", { meta: [{ name: "v", type: "String" }], data: [] });
 */
export function checkAnalyticsSql(sql: string, answer: unknown): string[] {
  return [...requestProblems(sql), ...answerProblems(sql, answer)].map((p) => `analytics_engine/sql: ${p}`);
}

/** The type the SQL API reports for a selected expression: counts and sums of `_sample_interval` are UInt64. */
function typeOf(expression: string): string {
  if (/^(count\(\)|SUM\(_sample_interval\))/i.test(expression)) return "UInt64";
  if (/^double\d+/.test(expression)) return "Float64";
  return "String";
}

/**
 * A FORMAT JSON answer to `sql` holding `rows` (keyed by the selected names), typed as the SQL API types them:
 * UInt64 values quoted. With no rows: an empty window, meta still naming the columns.
 *
 * @example
 * api.state.analyticsEngineSql = (sql) => analyticsAnswer(sql, []);
 */
export function analyticsAnswer(sql: string, rows: Record<string, unknown>[]): unknown {
  const list = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s/i.exec(sql)?.[1] ?? "";
  const meta = list.split(",").map((part) => {
    const [expression = "", alias] = part.trim().split(/\s+AS\s+/i);
    return { name: alias ?? expression, type: typeOf(expression) };
  });
  const data = rows.map((row) =>
    Object.fromEntries(meta.map((m) => [m.name, m.type === "UInt64" ? String(row[m.name] ?? 0) : (row[m.name] ?? "")])),
  );
  return { meta, data, rows: data.length, rows_before_limit_at_least: data.length };
}
