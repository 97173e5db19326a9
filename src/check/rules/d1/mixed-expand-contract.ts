import { classOfChange, contextFor } from "../../d1/classify.js";
import type { Change } from "../../sql/diff.js";
import { defineRule } from "../rule.js";

function describe(c: Change): string {
  switch (c.kind) {
    case "add-column":
    case "drop-column":
      return `${c.kind} ${c.table}.${c.column.name}`;
    case "rename-column":
      return `rename-column ${c.table}.${c.from}`;
    case "rename-table":
      return `rename-table ${c.from}`;
    case "add-index":
    case "drop-index":
      return `${c.kind} ${c.index.name}`;
    case "create-view":
    case "drop-view":
    case "create-trigger":
    case "drop-trigger":
      return `${c.kind} ${c.name}`;
    default:
      return `${c.kind} ${c.table}`;
  }
}

/** One file both adds (expand) and removes or narrows (contract): they need a deploy between them. */
export default defineRule({
  meta: { id: "d1/mixed-expand-contract", severity: "error", summary: "A migration mixes expand and contract changes" },
  checkMigration: ({ file }) => {
    if (!file.classes.has("expand") || !file.classes.has("contract")) return [];
    const ctx = contextFor(file.changes, (t) => file.createdHere.has(t.toLowerCase()));
    const expand = file.changes.filter((c) => classOfChange(c, ctx) === "expand");
    const contract = file.changes.filter((c) => classOfChange(c, ctx) === "contract");
    const first = contract[0];
    if (!first) return [];
    const list = (cs: typeof expand) =>
      cs.slice(0, 4).map(describe).join(", ") + (cs.length > 4 ? ` and ${cs.length - 4} more` : "");
    return [
      {
        line: first.line,
        message: `mixes expand (${list(expand)}) with contract (${list(contract)}); the contract half breaks the version that is running while the expand half is only useful to code not yet deployed`,
        fix: `Split ${file.name} in two: keep ${list(expand)} in this file and ship it with the code that uses it; move ${list(contract)} to a new, later-numbered migration that ships only after the new code serves 100%.`,
        data: { expand: expand.length, contract: contract.length },
      },
    ];
  },
});
