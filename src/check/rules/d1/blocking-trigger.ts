import type { CodeMentions } from "../../d1/code-mentions.js";
import { conjuncts, isName } from "../../d1/net-effect.js";
import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import type { SqlStatement } from "../../sql/split.js";
import { type Token, tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** What a trigger refuses: writes (INSERT and/or UPDATE) that set `column` to one of `values`. */
interface Refusal {
  table: string;
  trigger: string;
  events: string[];
  column: string;
  values: string[];
}

const literal = (t: Token | undefined) => (t?.kind === "string" || t?.kind === "number" ? t.text : undefined);

/** `NEW.col = 'x'`, `NEW.col == 'x'`, `NEW.col IS 'x'` or `NEW.col IN ('x', 'y')` starting at `i`. */
function newValueTest(tokens: readonly Token[], i: number): { column: string; values: string[] } | undefined {
  const col = tokens[i + 2];
  if (tokens[i]?.value !== "NEW" || tokens[i + 1]?.value !== "." || !col || !isName(col)) return undefined;
  let k = i + 3;
  const op = tokens[k]?.value;
  if (op === "IN" && tokens[k + 1]?.value === "(") {
    const values: string[] = [];
    for (k += 2; tokens[k] && tokens[k]?.value !== ")"; k++) {
      const v = literal(tokens[k]);
      if (v !== undefined) values.push(v);
      else if (tokens[k]?.value !== ",") return undefined;
    }
    return values.length > 0 ? { column: col.text, values } : undefined;
  }
  if (op !== "=" && op !== "IS") return undefined;
  if (tokens[k + 1]?.value === "=") k++;
  const v = literal(tokens[k + 1]);
  return v === undefined ? undefined : { column: col.text, values: [v] };
}

/** The top-level conditions that gate the RAISE: the WHEN clause, else the body's `SELECT RAISE(…) WHERE …`. */
function gates(tokens: readonly Token[]): Token[][] {
  const begin = tokens.findIndex((t) => t.depth === 0 && t.value === "BEGIN");
  const when = tokens.findIndex((t, i) => i < begin && t.depth === 0 && t.value === "WHEN");
  const where = tokens.findIndex((t, i) => i > begin && t.depth === 0 && t.value === "WHERE");
  const start = when >= 0 ? when : where;
  if (start < 0) return [];
  const rest = tokens.slice(start + 1);
  const end = rest.findIndex((t) => t.depth === 0 && (t.value === "BEGIN" || t.value === ";" || t.value === "END"));
  return conjuncts(end < 0 ? rest : rest.slice(0, end), 0);
}

/**
 * A `CREATE TRIGGER … BEFORE|AFTER INSERT|UPDATE ON t … RAISE(ABORT|FAIL|ROLLBACK …)` whose gate requires, as one
 * of its top-level AND terms, a column the table already had to hold given values: every such write aborts.
 * Whitelists (`WHEN (… OR …) IS NOT TRUE`) and terms on columns the file adds are not judged.
 */
function refusalOf(
  stmt: SqlStatement,
  table: string,
  added: ReadonlySet<string>,
  empty: (table: string) => boolean,
): Refusal | undefined {
  const tokens = tokenize(stmt.sql);
  const raises = tokens.some(
    (t, i) => t.value === "RAISE" && ["ABORT", "FAIL", "ROLLBACK"].includes(tokens[i + 2]?.value ?? ""),
  );
  if (!raises) return undefined;
  const on = tokens.findIndex((t) => t.depth === 0 && t.value === "ON");
  const events = ["INSERT", "UPDATE"].filter((e) =>
    tokens.slice(0, on).some((t) => t.kind === "word" && t.value === e),
  );
  const name = tokens.findIndex((t) => t.value === "TRIGGER");
  const trigger = tokens.slice(name + 1).find((t) => isName(t) && !["IF", "NOT", "EXISTS"].includes(t.value));
  if (on < 0 || events.length === 0 || !trigger) return undefined;
  const terms = gates(tokens);
  // `AND EXISTS (SELECT … FROM closeouts …)` on a table still empty: it fires only once new code writes that table.
  if (terms.some((term) => existsOn(term, empty))) return undefined;
  // `AND NOT EXISTS (SELECT 1 FROM quotes WHERE id = NEW.resource_id)` over a table that holds rows: a reference
  // check, not a refusal of the value (over an empty one it refuses every such write).
  if (terms.some((term) => correlatedNotExists(term, empty))) return undefined;
  for (const term of terms) {
    const test = newValueTest(term, 0);
    if (test && term.length === termLength(term) && !added.has(test.column.toLowerCase()))
      return { table, trigger: trigger.text, events, ...test };
  }
  return undefined;
}

/** Whether a gate term is `EXISTS (SELECT … FROM t …)` whose first table `empty` says holds no row. */
function existsOn(term: readonly Token[], empty: (table: string) => boolean): boolean {
  if (term[0]?.value !== "EXISTS" || term[1]?.value !== "(") return false;
  const depth = (term[1]?.depth ?? 0) + 1;
  const from = term.findIndex((t) => t.depth === depth && t.kind === "word" && t.value === "FROM");
  const first = from < 0 ? undefined : term[from + 1];
  return !!first && isName(first) && empty(first.text);
}

/** Whether a gate term is `NOT EXISTS (SELECT … FROM t … NEW.x …)` over a table `t` that may hold rows. */
function correlatedNotExists(term: readonly Token[], empty: (table: string) => boolean): boolean {
  if (term[0]?.value !== "NOT") return false;
  const inner = term.slice(1);
  const correlated = inner.some((t, i) => t.kind === "word" && t.value === "NEW" && inner[i + 1]?.value === ".");
  return correlated && inner[0]?.value === "EXISTS" && !existsOn(inner, empty) && existsOn(inner, () => true);
}

/** How many tokens `NEW.col = v` / `NEW.col IN (…)` spans, so a term with more after it is not taken. */
function termLength(term: readonly Token[]): number {
  if (term[3]?.value === "IN") return term.findIndex((t) => t.value === ")") + 1;
  return term[4]?.value === "=" ? 6 : 5;
}

function hitFor(r: Refusal, stmt: SqlStatement, code: CodeMentions | undefined): RuleHit {
  const values = r.values.map((v) => `'${v}'`).join(", ");
  const named = r.values.filter((v) => code?.mentions(v));
  const writes = r.events.join(" and ");
  const running =
    named.length > 0
      ? `the running version still names ${named.map((v) => `'${v}'`).join(", ")} (in ${code?.workers.join(", ") ?? "its code"}), and its ${writes}s that set it abort`
      : code
        ? `no code of the Workers bound to it (${code.workers.join(", ")}) names ${values}, but any ${writes} of the running version that sets it aborts`
        : `the running version's ${writes}s that set it abort`;
  return {
    line: stmt.line,
    message: `adds trigger ${r.trigger}, which aborts every ${writes} on ${r.table} setting ${r.column} to ${values}: ${running} from the moment the migration applies until the new code serves every request`,
    fix: `Forbid the value in two releases: 1) deploy code that no longer writes ${r.column} = ${values} (and move old rows off it with \`UPDATE ${ident(r.table)} SET ${ident(r.column)} = <new value> WHERE ${ident(r.column)} IN (${values});\`); 2) once that version serves 100%, add ${r.trigger} in a later migration.`,
    data: { table: r.table, trigger: r.trigger, column: r.column, values: r.values, namedInCode: named },
    ...(named.length > 0 ? {} : { severity: "warning" as const }),
  };
}

/** Columns of `table` this file adds: the running version never writes them. */
function added(file: MigrationFile, table: string): Set<string> {
  return new Set(
    file.changes.flatMap((c) =>
      c.kind === "add-column" && c.table.toLowerCase() === table.toLowerCase() ? [c.column.name.toLowerCase()] : [],
    ),
  );
}

/** Triggers this file creates on tables that existed before it, refusing writes of given values. */
function refusals(file: MigrationFile, code: CodeMentions | undefined): RuleHit[] {
  return file.statements.flatMap((stmt, i) => {
    const o = file.outcomes[i];
    const table =
      o?.verb === "create-trigger" && !o.error ? o.changes.find((c) => c.kind === "create-trigger")?.table : undefined;
    if (!table || !existedBefore(file, table)) return [];
    const r = refusalOf(stmt, table, added(file, table), (t) => !existedBefore(file, t) && emptyAt(file, t, stmt.line));
    return r ? [hitFor(r, stmt, code)] : [];
  });
}

/**
 * A new trigger on an existing table that aborts INSERTs or UPDATEs setting a column to given values (`WHEN
 * NEW.status = 'PREPARING' … RAISE(ABORT, …)`): like a narrowed CHECK, the running version's writes of those values
 * fail once the migration applies.
 */
export default defineRule({
  meta: {
    id: "d1/blocking-trigger",
    severity: "error",
    summary: "A new trigger aborts writes of values the running version may still write",
  },
  checkMigration: ({ file, code }) => refusals(file, code),
});
