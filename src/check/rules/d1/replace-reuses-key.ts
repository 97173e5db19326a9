import { anyInsertRows, uniqueColumns } from "../../d1/inserted-rows.js";
import { ident, type KeyedRow, type RuleHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** `'Suno AI'` → `Suno AI`: a value as a person reads it. */
const shown = (v: string) => v.replace(/^'|'$/g, "").trim();
/** `'Suno AI'` → `suno ai`: a value as a person compares names. */
const plain = (v: string) => lc(shown(v));

/** Two values of a naming column that name different things: neither contains the other (`Supertone (슈퍼톤)` does). */
function namesDiffer(a: string, b: string): boolean {
  const x = plain(a);
  const y = plain(b);
  return x !== "" && y !== "" && x !== "null" && y !== "null" && !x.includes(y) && !y.includes(x);
}

interface Clash {
  /** The unique column the REPLACE conflicts on, and its value. */
  key: string;
  value: string;
  /** Another unique column whose values say the two rows are different items. */
  other: string;
  was: string;
  now: string;
  earlier: KeyedRow;
}

/** The first earlier row this REPLACE row displaces that another unique column calls a different item. */
function clashOf(
  lookup: (column: string, value: string) => KeyedRow | undefined,
  keys: readonly string[],
  row: ReadonlyMap<string, string>,
): Clash | undefined {
  for (const key of keys) {
    const value = row.get(key);
    const earlier = value === undefined || value === "null" ? undefined : lookup(key, value);
    if (!earlier || !value) continue;
    for (const other of keys) {
      const was = earlier.values.get(other);
      const now = row.get(other);
      if (other !== key && was !== undefined && now !== undefined && namesDiffer(was, now))
        return { key, value, other, was, now, earlier };
    }
  }
  return undefined;
}

/**
 * `INSERT OR REPLACE INTO ai_tools (id, name, …) VALUES ('tool-041', 'Gemini TTS', …)` when an earlier migration put
 * 'Suno AI' under tool-041: REPLACE resolves the conflict by deleting the earlier row, so one item silently takes
 * another's key. The earlier row is lost (its ON DELETE CASCADE children with it), and everything that stored the
 * key now points at a different item. Judged on the rows earlier migrations inserted with literal values, where a
 * second unique column (a name, a slug, an email) says the two rows are different items.
 */
export default defineRule({
  meta: {
    id: "d1/replace-reuses-key",
    severity: "warning",
    summary: "INSERT OR REPLACE puts a different item under a key an earlier migration gave another row",
  },
  checkMigration: ({ file }) => {
    const seen = file.insertedRows;
    if (!seen) return [];
    // Tables this file deleted from or updated before the statement: the earlier rows may be gone or renamed.
    const touched = new Set<string>();
    return file.statements.flatMap((stmt, i): RuleHit[] => {
      const o = file.outcomes[i];
      if (o && ["delete", "update", "drop-table"].includes(o.verb)) touched.add(lc(o.target ?? ""));
      if (!o || o.error || o.skipped || o.insertSelect || (o.verb !== "insert" && o.verb !== "replace")) return [];
      // Only a second unique column tells two items apart: with fewer, the statement is not read at all.
      const keys = uniqueColumns(file.tablesAfter?.get(lc(o.target ?? "")));
      const insert = keys.length < 2 ? undefined : anyInsertRows(stmt);
      if (!insert?.replace || touched.has(insert.table)) return [];
      const clashes = insert.rows.flatMap((values) => {
        const row = new Map(insert.columns.map((c, k) => [c, values[k] ?? ""]));
        const c = clashOf((column, value) => seen.rowUnder(insert.table, column, value), keys, row);
        return c && c.earlier.file !== file.name ? [c] : [];
      });
      const [first] = clashes;
      if (!first) return [];
      const t = o.target ?? insert.table;
      const named = clashes
        .slice(0, 3)
        .map((c) => `${c.value} (${c.other} ${c.was} in ${c.earlier.file}, ${c.now} here)`)
        .join("; ");
      const more = clashes.length > 3 ? ` and ${clashes.length - 3} more` : "";
      return [
        {
          line: stmt.line,
          message: `REPLACE puts a different item under a key an earlier migration gave another row of ${t}: ${named}${more}. REPLACE resolves the conflict on ${first.key} by deleting the earlier row (and, through ON DELETE CASCADE, any children), so ${shown(first.was)} is gone and everything that stored ${first.key} ${first.value} now points at ${shown(first.now)}; a database where the earlier row was never inserted keeps both items apart, so databases diverge`,
          fix: `Give the new item a key (${first.key}) no earlier migration used, and keep INSERT OR REPLACE for rows that are the same item (\`INSERT INTO ${ident(t)} … ON CONFLICT(${ident(first.key)}) DO UPDATE SET …\` changes one in place without deleting it). If ${shown(first.was)} is meant to go, delete it in its own statement, where its children and the rows that point at it can be handled.`,
          data: {
            table: t,
            rows: clashes.length,
            key: first.key,
            insertedBy: first.earlier.file,
          },
        },
      ];
    });
  },
});
