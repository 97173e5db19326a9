import type { MigrationClass } from "../findings.js";
import type { Change } from "../sql/diff.js";
import type { StatementOutcome } from "../sql/replay.js";

type Pure = Exclude<MigrationClass, "mixed">;

/** Whether one schema change only adds (expand) or removes, renames or narrows (contract). */
export function classOfChange(c: Change, createdHere: (table: string) => boolean): Pure {
  switch (c.kind) {
    case "create-table":
    case "add-column":
    case "create-view":
    case "create-trigger":
      return "expand";
    case "add-index":
      return c.index.unique && !createdHere(c.table) ? "contract" : "expand";
    case "add-foreign-key":
      return createdHere(c.table) ? "expand" : "contract";
    case "alter-column": {
      const narrowed =
        (!c.before.notNull && c.after.notNull) || c.before.type.toLowerCase() !== c.after.type.toLowerCase();
      return narrowed ? "contract" : "expand";
    }
    case "alter-foreign-key":
      return "contract";
    case "modify-table":
      return c.changes.some((n) => classOfChange(n, () => false) === "contract") ? "contract" : "expand";
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
 * classify(changes, outcomes, lines, created).class; // "expand"
 */
export function classify(
  changes: readonly (Change & { line: number })[],
  outcomes: readonly (StatementOutcome & { line: number })[],
  copyLines: ReadonlySet<number>,
  createdHere: ReadonlySet<string>,
): { classes: Set<Pure>; class: MigrationClass } {
  const classes = new Set<Pure>();
  const created = (t: string) => createdHere.has(t.toLowerCase());
  for (const c of changes) classes.add(classOfChange(c, created));
  for (const o of outcomes) if (isDataStatement(o) && !copyLines.has(o.line)) classes.add("data");
  const list = [...classes];
  const only = list[0];
  return { classes, class: list.length === 0 || only === undefined ? "expand" : list.length === 1 ? only : "mixed" };
}
