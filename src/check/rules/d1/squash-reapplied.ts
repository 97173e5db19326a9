import { sortMigrations } from "../../../core/migration-order.js";
import { type DeletedMigration, deletionsByCommit } from "../../d1/deleted-migrations.js";
import { day } from "../../d1/git-history.js";
import { type MigrationsDir, migrationPath, readMigration } from "../../d1/migrations.js";
import { databaseName, type FolderHit, ident, listSome } from "../../d1/rule.js";
import { createReplayer } from "../../sql/replay.js";
import { splitStatements } from "../../sql/split.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** What a squash's new file does on a database that applied the files it replaced. */
interface OnOldDatabase {
  /** Tables of the old history it drops (not ones it created first), with the line of the first drop. */
  drops: { table: string; line: number }[];
  /** The file fails there (and so rolls back, dropping nothing). */
  fails: boolean;
}

/** Replays the history as it shipped before the squash, then `file` as it is now. */
function onOldDatabase(dir: MigrationsDir, group: readonly DeletedMigration[], file: string): OnOldDatabase {
  const replayer = createReplayer({ migrationsTable: dir.migrationsTable });
  try {
    const before = new Map((group[0]?.before() ?? []).map((b) => [b.name, b.text]));
    for (const name of sortMigrations(before.keys(), { order: dir.order })) {
      const split = splitStatements(before.get(name) ?? "");
      replayer.applyFile(name, split.statements, split.problems[0]?.offset ?? Number.POSITIVE_INFINITY);
    }
    const old = new Set(replayer.tables.keys());
    old.delete(lc(dir.migrationsTable));
    const split = splitStatements(readMigration(migrationPath(dir, file)).text);
    const out = replayer.applyFile(file, split.statements, split.problems[0]?.offset ?? Number.POSITIVE_INFINITY);
    const made = new Set<string>();
    const drops: OnOldDatabase["drops"] = [];
    out.statements.forEach((o, i) => {
      const line = split.statements[i]?.line ?? 1;
      const target = o.target === undefined ? undefined : lc(o.target);
      if (o.verb === "create-table" && target) made.add(target);
      if (o.verb === "drop-table" && !o.error && target && old.has(target) && !made.has(target))
        drops.push({ table: o.target ?? target, line });
    });
    return { drops, fails: out.statements.some((o) => o.error !== undefined) };
  } finally {
    replayer.close();
  }
}

/**
 * A squash: shipped migrations deleted, and a new file added in the same commit to stand for them. Databases that
 * applied the old files have no record of the new name, so `wrangler d1 migrations apply` runs it there. A squash
 * that starts by dropping the old tables and applies there empties them. (One that fails there rolls back whole.)
 */
export default defineRule({
  meta: {
    id: "d1/squash-reapplied",
    severity: "error",
    summary: "A squash's new migration runs again on databases that applied the files it replaced",
  },
  checkFolder({ dir, names, windows, fileOf }) {
    if (!dir.exists || !windows || names.length === 0) return [];
    const present = new Set(names);
    const db = databaseName(dir);
    const hits: FolderHit[] = [];
    for (const group of deletionsByCommit(windows.deleted())) {
      const first = group[0];
      if (!first) continue;
      const shipped = new Set(first.before().map((b) => b.name));
      const gone = group.map((d) => d.name);
      const commit = first.deletedIn.commit.slice(0, 7);
      const replaced = `${listSome(gone)} (deleted by commit ${commit}, ${day(first.deletedIn.time)}, after they shipped)`;
      // Only a file that takes a place inside the old history stands for it; one after it is the next migration.
      const last = sortMigrations(shipped, { order: dir.order }).at(-1);
      const inside = (n: string) =>
        last !== undefined && sortMigrations([n, last], { order: dir.order })[0] === n && n !== last;
      for (const file of first.addedWith.filter((n) => present.has(n) && !shipped.has(n) && inside(n))) {
        const { drops, fails } = onOldDatabase(dir, group, file);
        const [drop] = drops;
        // A squash that fails there rolls back whole: loud, and it loses nothing.
        if (fails || !drop) continue;
        const tables = drops.map((d) => d.table);
        hits.push({
          file: fileOf(file),
          line: drop.line,
          message: `${file} stands for ${replaced}. A database that applied them has no record of ${file}, so \`wrangler d1 migrations apply\` runs it there, and it drops ${listSome(tables)}, which the old files made: every row in them is lost`,
          fix: `On the databases that applied the old files, mark it applied before the next deploy: \`wrangler d1 execute ${db} --remote --command "INSERT INTO d1_migrations (name) VALUES ('${file}')"\`; or take the DROP statements (${tables.slice(0, 2).map(ident).join(", ")}) out of ${file}. If every database that applied the old files was rebuilt from ${file}, or had its \`d1_migrations\` rows rewritten to the new names, park this finding with \`blastwall check --init\`.`,
          data: { replaced: gone, commit, drops: tables },
        });
      }
    }
    return hits;
  },
});
