import type { MigrationClass } from "../findings.js";
import type { Change } from "../sql/diff.js";
import type { StatementOutcome } from "../sql/replay.js";

type Pure = Exclude<MigrationClass, "mixed">;

/** What a change is judged against: tables new in this migration, and `table.column` pairs it adds. */
export interface ClassifyContext {
  createdHere: (table: string) => boolean;
  addedColumns: ReadonlySet<string>;
}

const key = (table: string, column: string) => `${table}.${column}`.toLowerCase();

/** The context for a list of sibling changes (a file's, or one rebuild's nested changes). */
export function contextFor(changes: readonly Change[], createdHere: (table: string) => boolean): ClassifyContext {
  const addedColumns = new Set(changes.flatMap((c) => (c.kind === "add-column" ? [key(c.table, c.column.name)] : [])));
  return { createdHere, addedColumns };
}

/** Whether one schema change only adds (expand) or removes, renames or narrows (contract). */
export function classOfChange(c: Change, ctx: ClassifyContext): Pure {
  switch (c.kind) {
    case "create-table":
    case "add-column":
    case "create-view":
    case "create-trigger":
      return "expand";
    case "add-index":
      return c.index.unique && !ctx.createdHere(c.table) ? "contract" : "expand";
    case "add-foreign-key":
      // A reference on a column added alongside it constrains only new values: additive.
      return ctx.createdHere(c.table) || c.fk.from.every((col) => ctx.addedColumns.has(key(c.table, col)))
        ? "expand"
        : "contract";
    case "alter-column": {
      const narrowed =
        (!c.before.notNull && c.after.notNull) || c.before.type.toLowerCase() !== c.after.type.toLowerCase();
      return narrowed ? "contract" : "expand";
    }
    case "alter-foreign-key":
      return "contract";
    case "modify-table": {
      const nested = contextFor(c.changes, () => false);
      return c.changes.some((n) => classOfChange(n, nested) === "contract") ? "contract" : "expand";
    }
    default:
      // drops and renames
      return "contract";
  }
}

/** Whether a statement moves data: UPDATE, DELETE, REPLACE or INSERT … SELECT (not a rebuild's copy). */
export function isDataStatement(o: StatementOutcome): boolean {
  return o.verb === "update" || o.verb === "delete" || o.verb === "replace" || (o.verb === "insert" && o.insertSelect);
}

/**
 * Classifies a migration: expand (additive only), contract (drops, renames, narrowing), data (UPDATE, DELETE,
 * INSERT … SELECT), or mixed when it does more than one of these.
 *
 * @example
 * classify(changes, outcomes, copyLines, createdHere).class; // "expand"
 */
export function classify(
  changes: readonly (Change & { line: number })[],
  outcomes: readonly (StatementOutcome & { line: number })[],
  copyLines: ReadonlySet<number>,
  createdHere: ReadonlySet<string>,
): { classes: Set<Pure>; class: MigrationClass } {
  const classes = new Set<Pure>();
  const ctx = contextFor(changes, (t) => createdHere.has(t.toLowerCase()));
  for (const c of changes) classes.add(classOfChange(c, ctx));
  for (const o of outcomes) if (isDataStatement(o) && !copyLines.has(o.line)) classes.add("data");
  const list = [...classes];
  const only = list[0];
  return { classes, class: list.length === 0 || only === undefined ? "expand" : list.length === 1 ? only : "mixed" };
}
