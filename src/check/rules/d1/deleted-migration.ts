import { type MigrationOrder, sortMigrations } from "../../../core/migration-order.js";
import { wholeWord } from "../../d1/code-mentions.js";
import { type DeletedMigration, deletionsByCommit } from "../../d1/deleted-migrations.js";
import { day } from "../../d1/git-history.js";
import { migrationPath, readMigration } from "../../d1/migrations.js";
import { type FolderHit, listSome } from "../../d1/rule.js";
import { schemaDifference } from "../../d1/shipped-diff.js";
import { defineRule } from "../rule.js";

/** The name each schema item ends on: `column t.c (…)` → c, `table t` → t, `index i on t` → i. */
const itemName = (item: string) => /^\w+ (?:\w+\.)?(\w+)/.exec(item)?.[1]?.toLowerCase();

/** The deleted file whose own text names the most of what differs: the one to point at (earliest on a tie). */
function mostInvolved(group: readonly DeletedMigration[], items: readonly string[]): DeletedMigration | undefined {
  const names = items.map(itemName).filter((n): n is string => n !== undefined);
  const score = (d: DeletedMigration) => names.filter((n) => wholeWord(d.text.toLowerCase(), n)).length;
  return group.reduce<DeletedMigration | undefined>(
    (best, d) => (!best || score(d) > score(best) ? d : best),
    undefined,
  );
}

/**
 * The history a database up to date before the deletion ran: the folder as it was then, in apply order, then the
 * files added since (wrangler runs every name it has not recorded), as they are now.
 */
function historyAsShipped(
  before: readonly { name: string; text: string }[],
  names: readonly string[],
  current: readonly string[],
  order: MigrationOrder,
): string[] {
  const then = new Map(before.map((b) => [b.name, b.text]));
  const now = new Map(names.map((n, i) => [n, current[i] ?? ""]));
  return [
    ...sortMigrations(then.keys(), { order }).map((n) => then.get(n) ?? ""),
    ...sortMigrations(
      names.filter((n) => !then.has(n)),
      { order },
    ).map((n) => now.get(n) ?? ""),
  ];
}

/**
 * A migration that shipped (a later one was committed on top of it) and was then deleted from the folder. wrangler
 * never runs an applied migration again and never undoes one: databases that applied it keep what it did, while
 * databases built since never get it. Reported when replaying the folder with and without the deleted files leaves
 * different schemas.
 */
export default defineRule({
  meta: {
    id: "d1/deleted-migration",
    severity: "warning",
    summary: "A migration was deleted after it shipped, so old and new databases have different schemas",
  },
  checkFolder({ dir, names, windows, fileOf }) {
    if (!dir.exists || !windows || names.length === 0) return [];
    const read = names.map((n) => readMigration(migrationPath(dir, n)));
    if (read.some((r) => r.unreadable)) return [];
    const current = read.map((r) => r.text);
    const hits: FolderHit[] = [];
    // A squash deletes many files in one commit: one finding.
    for (const group of deletionsByCommit(windows.deleted())) {
      const old = historyAsShipped(group[0]?.before() ?? [], names, current, dir.order);
      const diff = schemaDifference(old, current);
      if (!diff || (diff.onlyOld.length === 0 && diff.onlyNew.length === 0)) continue;
      const first = mostInvolved(group, [...diff.onlyOld, ...diff.onlyNew]);
      if (!first) continue;
      const gone = [first.name, ...group.filter((d) => d !== first).map((d) => d.name)];
      const it = gone.length === 1 ? "it" : "them";
      const what = [
        diff.onlyOld.length ? `have ${listSome(diff.onlyOld)}` : "",
        diff.onlyNew.length ? `lack ${listSome(diff.onlyNew)}` : "",
      ].filter(Boolean);
      const commit = first.deletedIn.commit.slice(0, 7);
      hits.push({
        file: fileOf(first.name),
        line: 1,
        message: `${listSome(gone)} shipped (${first.shippedBy.file} was added after ${it}, in commit ${first.shippedBy.commit.slice(0, 7)} (${day(first.shippedBy.time)})) and commit ${commit} (${day(first.deletedIn.time)}) deleted ${it}. wrangler never runs an applied migration again and never undoes one, so databases that applied ${it} ${what.join(" and ")}, unlike databases built from the folder since`,
        fix: `Put ${it} back as shipped (\`git show ${commit}^:./${fileOf(first.name)} > ${fileOf(first.name)}\`${gone.length > 1 ? ", and the others the same way" : ""}) so every database runs one history; to undo what ${it} did, add a new migration after the last one. If no database ever applied ${it}, park this finding with \`blastwall check --init\`.`,
        data: { deleted: gone, commit, onlyOld: diff.onlyOld, onlyNew: diff.onlyNew },
      });
    }
    return hits;
  },
});
