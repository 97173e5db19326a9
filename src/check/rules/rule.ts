import type { CodeFileContext, CodeProjectContext } from "../code/rule.js";
import type { ConfigRuleContext } from "../config/rule.js";
import type { D1FinalContext, D1FolderContext, D1RuleContext, FolderHit } from "../d1/rule.js";
import type { Finding, RuleMeta, Suppression } from "../findings.js";
import type { Table } from "../sql/schema.js";
import type { Hit, PlacedHit } from "./report.js";

/**
 * What a rule looks at. A rule implements one or more of these; each analyzer calls the ones it serves, with a
 * context of that kind, and turns every hit into a finding with the one report builder (`report`).
 */
export interface RuleChecks {
  /** Each wrangler config of the project (all its env sections): Durable Object migrations, queues, exports. */
  checkConfig?(ctx: ConfigRuleContext): readonly Hit[];
  /** Each parsed source file of each Worker. */
  checkSource?(ctx: CodeFileContext): readonly Hit[];
  /** Once per project, every Worker's code and config together (rules that join code with config). */
  checkProject?(ctx: CodeProjectContext): readonly PlacedHit[];
  /** Each D1 migration file, after static replay on the history before it. */
  checkMigration?(ctx: D1RuleContext): readonly Hit[];
  /**
   * After a D1 folder's whole history replayed: whether one of this rule's findings in it still stands on the schema
   * the history leaves (a rule that judges the code about to be deployed, which runs on that schema). Kept when absent.
   */
  keepOnFinalSchema?(finding: Finding, tables: ReadonlyMap<string, Table>): boolean;
  /** Once per D1 migrations folder, after its whole history replayed: the code's statements on the schema it leaves. */
  checkFinalSchema?(ctx: D1FinalContext): readonly PlacedHit[];
  /** Each D1 migrations folder as a whole (also a missing one): ordering, stray files, migrations.lock. */
  checkFolder?(ctx: D1FolderContext): readonly FolderHit[];
  /** Each file's suppression comments, once its findings went through them. */
  checkSuppressions?(ctx: SuppressionContext): readonly Hit[];
}

/** One file's `blastwall-ignore` comments, as every analyzer's suppression reader sees them. */
export interface SuppressionContext {
  /** The file the comments are in, relative to the project dir. */
  file: string;
  /** Comments that start like a suppression but cannot be one (no rule id, no reason), with what is missing. */
  malformed: readonly { line: number; error: string }[];
  /** The file's suppressions after its findings went through them (`used` set), where the reader tracks that. */
  applied?: readonly Suppression[];
}

/** One rule: its metadata (id `<area>/<name>`, severity, one-line summary; docs at docs/rules/<id>.md) and checks. */
export interface Rule extends RuleChecks {
  meta: RuleMeta;
}

/**
 * Declares a rule. One rule per file under src/check/rules/<area>/, as that file's default export; the registry
 * (src/check/rules/index.ts) is generated from those files.
 *
 * @example
 * export default defineRule({
 *   meta: { id: "d1/drop-table", severity: "error", summary: "A migration drops a table that code may still use" },
 *   checkMigration: ({ file }) =>
 *     file.changes.flatMap((c) =>
 *       c.kind === "drop-table" ? [{ line: c.line, message: `drops ${c.table}`, fix: "contract in two releases" }] : [],
 *     ),
 * });
 */
export function defineRule(rule: Rule): Rule {
  return rule;
}
