import type { Table } from "../sql/schema.js";
import { type Token, tokenize } from "../sql/tokens.js";
import { insertSelectParts, isName } from "./net-effect.js";
import type { MigrationFile } from "./rule.js";

const lc = (s: string) => s.toLowerCase();
const TOKENS = 4000;
/** Words after the source table that mean the SELECT does not read it whole, once. */
const PARTIAL = new Set(["WHERE", "LIMIT", "JOIN", "GROUP", "HAVING", "UNION", "EXCEPT", "INTERSECT", ","]);

/** A statement copying every row of one table into another: `INSERT INTO t … SELECT … FROM s` or `CREATE TABLE t AS SELECT … FROM s`. */
interface WholeCopy {
  line: number;
  target: string;
  source: string;
  /** The INSERT's column list, if it gives one. */
  columns?: string[];
  items: Token[][];
}

/** The table a SELECT reads, when it reads exactly one table, every row of it (no WHERE, LIMIT, join, grouping). */
function wholeSource(tokens: readonly Token[]): string | undefined {
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  const from = tokens.findIndex((t, i) => i > select && t.depth === 0 && t.kind === "word" && t.value === "FROM");
  if (select < 0 || from < 0) return undefined;
  // `main.t` reads t.
  const at = tokens[from + 2]?.value === "." ? from + 3 : from + 1;
  const source = tokens[at];
  const after = tokens.slice(at + 1).filter((t) => t.depth === 0 && (t.kind === "word" || t.value === ","));
  return isName(source) && !after.some((t) => PARTIAL.has(t.value)) ? lc(source.text) : undefined;
}

function wholeCopies(file: MigrationFile): WholeCopy[] {
  return file.statements.flatMap((stmt, i) => {
    const o = file.outcomes[i];
    const copies = o?.verb === "create-table" || ((o?.verb === "insert" || o?.verb === "replace") && o.insertSelect);
    if (!o || o.error || !copies || !o.target) return [];
    const tokens = tokenize(stmt.sql, TOKENS);
    const source = tokens.length < TOKENS ? wholeSource(tokens) : undefined;
    const parts = source === undefined ? undefined : insertSelectParts(stmt.sql);
    if (!source || !parts) return [];
    const columns = o.verb === "create-table" ? undefined : parts.columns;
    return [{ line: stmt.line, target: lc(o.target), source, ...(columns ? { columns } : {}), items: parts.items }];
  });
}

/** A select item that is a column as it is (`v`, `c.v`) or `*`: the name, or `*`. */
export function plainItem(item: readonly Token[]): string | undefined {
  const last = item[item.length - 1];
  if (item.length === 1 && last?.value === "*") return "*";
  const qualified = item.length === 3 && isName(item[0]) && item[1]?.value === ".";
  return (item.length === 1 || qualified) && isName(last) ? lc(last.text) : undefined;
}

/** Whether a restore puts every column of `table` back from the same-named column (or `*`) of the saved copy. */
function restoresEveryColumn(copy: WholeCopy, table: Table): boolean {
  const wanted = table.columns.filter((c) => c.hidden === 0).map((c) => lc(c.name));
  const names = copy.columns?.map(lc) ?? wanted;
  if (!wanted.every((w) => names.includes(w))) return false;
  const items = copy.items.map(plainItem);
  if (items.length === 1 && items[0] === "*") return true;
  return items.length === names.length && items.every((it, k) => it === names[k]);
}

/** A CASCADE child that the file saves before a DROP TABLE fires the cascade and restores in full after it. */
export interface KeptChild {
  child: string;
  dropLine: number;
  saveLine: number;
  restoreLine: number;
}

/**
 * The CASCADE children of each DROP TABLE that the file saves whole into a table it creates before the DROP
 * (`CREATE TABLE c_pre AS SELECT * FROM c`) and puts back after it, every row and every column
 * (`INSERT INTO c (id, p_id, note) SELECT id, p_id, note FROM c_pre`): the cascade deletes nothing for good.
 *
 * @example
 * keptChildren(file); // [{ child: "order_items", dropLine: 4, saveLine: 1, restoreLine: 6 }]
 */
export function keptChildren(file: MigrationFile): KeptChild[] {
  const copies = wholeCopies(file);
  if (copies.length < 2) return [];
  return file.outcomes.flatMap((o, i) => {
    const dropLine = file.statements[i]?.line;
    if (o.verb !== "drop-table" || o.error || dropLine === undefined) return [];
    const children = new Set(o.cascades.filter((c) => c.action === "CASCADE").map((c) => lc(c.table)));
    return [...children].flatMap((child) => {
      const table = file.tablesAfter?.get(child);
      const saves = copies.filter(
        (c) =>
          c.line < dropLine &&
          c.source === child &&
          file.createdHere.has(c.target) &&
          c.items.every((it) => plainItem(it) !== undefined),
      );
      for (const save of saves) {
        const restore = copies.find(
          (c) =>
            c.line > dropLine &&
            c.target === child &&
            c.source === save.target &&
            table !== undefined &&
            restoresEveryColumn(c, table),
        );
        if (restore) return [{ child, dropLine, saveLine: save.line, restoreLine: restore.line }];
      }
      return [];
    });
  });
}
