import { join } from "node:path";
import { compareMigrations } from "../../../core/migration-order.js";
import type { CodeMentions } from "../../d1/code-mentions.js";
import { type MigrationsDir, migrationNames, readMigration } from "../../d1/migrations.js";
import type { OneSidedTable, ReleaseWindows } from "../../d1/release-windows.js";
import { listSome, type MigrationFile } from "../../d1/rule.js";
import { type RerunFailure, rerunFailure, type ShippedDiff, shippedDiff } from "../../d1/shipped-diff.js";
import type { ShippedEdit } from "../../d1/shipped-edits.js";
import { splitStatements } from "../../sql/split.js";
import { describeStatement } from "../../sql/tokens.js";
import type { Hit } from "../report.js";
import { defineRule } from "../rule.js";

/** "INSERT users", "CREATE VIRTUAL TABLE search": what a statement does, short. */
function verbOf(sql: string): string {
  const d = describeStatement(sql);
  const verb =
    d.verb === "other"
      ? (sql.trim().split(/\s+/)[0] ?? "statement").toUpperCase()
      : d.verb.replaceAll("-", " ").toUpperCase();
  return d.target ? `${verb} ${d.target}` : verb;
}

/**
 * Whether old and new databases differ only in tables this edit has no part in, or in marker tables: each one-sided
 * table is either not named by this file, or named by no other migration and by none of the Workers' code (all of
 * it read); and the edit writes only into such tables.
 */
function harmless(
  differ: readonly OneSidedTable[] | undefined,
  { name, writes, code }: { name: string; writes: readonly string[]; code: CodeMentions | undefined },
) {
  if (differ === undefined) return false;
  const marker = (t: OneSidedTable) =>
    t.namedBy.every((n) => n === name) && code?.wholeCode() === true && !code.mentions(t.table);
  return (
    differ.every((t) => !t.namedBy.includes(name) || marker(t)) &&
    writes.every((w) => differ.some((t) => t.table === w))
  );
}

/**
 * The indexes an edit changes, when that is all it changes and none of them is UNIQUE: old and new databases then
 * answer every query alike, and only its speed differs. Undefined otherwise.
 */
function plainIndexesOnly(d: ShippedDiff): Set<string> | undefined {
  const names = new Set<string>();
  for (const s of [...d.added, ...d.dropped]) {
    const info = describeStatement(s.sql);
    if ((info.verb !== "create-index" && info.verb !== "drop-index") || info.unique || !info.target) return undefined;
    names.add(info.target.toLowerCase());
  }
  const labels = [...d.missing, ...d.extra];
  return names.size > 0 && labels.every((l) => l.startsWith("index ")) ? names : undefined;
}

/**
 * Whether a later migration creates or drops one of `indexes` without IF [NOT] EXISTS: on databases that applied the
 * other text it then fails ("index already exists", "no such index").
 */
function laterFileTrips(dir: MigrationsDir, name: string, indexes: ReadonlySet<string>): boolean {
  const names = migrationNames(dir);
  return names.slice(names.indexOf(name) + 1).some((later) =>
    splitStatements(readMigration(join(dir.dir, later)).text).statements.some((s) => {
      const info = describeStatement(s.sql);
      const index = info.verb === "create-index" || info.verb === "drop-index";
      return index && !info.guarded && indexes.has((info.target ?? "").toLowerCase());
    }),
  );
}

/**
 * Where a renamed migration, which wrangler runs again under its new name, stops on databases that applied it under
 * the old one. Those hold the files that sort before either name (today's texts: edits to them are judged apart).
 */
function rerunStops(dir: MigrationsDir, file: MigrationFile, edit: ShippedEdit): RerunFailure | undefined {
  const names = migrationNames(dir);
  const compare = compareMigrations(dir.order);
  const earlier = names.filter(
    (n) => n !== file.name && (compare(n, file.name) < 0 || compare(n, edit.shippedName) < 0),
  );
  return rerunFailure(
    earlier.map((n) => readMigration(join(dir.dir, n)).text),
    edit.shippedText,
    file.text,
  );
}

const folderOf = (file: MigrationFile) => file.rel.slice(0, file.rel.length - file.name.length);

/** "and there it stops at line 3 (CREATE TABLE content): …": what a re-run does to those databases. */
function stopsThere({ statement, error }: RerunFailure): string {
  return `and there it stops at line ${statement.line} (${verbOf(statement.sql)}): "${error}". wrangler records nothing for a failed file and stops the apply at it, so those databases get no later migration until this file is fixed`;
}

/** A migration renamed after it shipped, its text alike, whose re-run under the new name fails. */
function renamedOnly(file: MigrationFile, edit: ShippedEdit, stops: RerunFailure): Hit {
  const folder = folderOf(file);
  const from = edit.shippedName;
  return {
    line: stops.statement.line,
    column: stops.statement.column,
    message: `${file.name} was renamed from ${from} in ${edit.edited} after it shipped (${edit.shipped}), and does what it did. wrangler records applied migrations by name, so it runs the file again under its new name on databases that applied ${from}, ${stopsThere(stops)}.`,
    fix: `Give it back its shipped name (\`git mv ${file.rel} ${folder}${from}\`); to change the order, add a new migration after the last one. If no database applied it as ${from}, say so at the top of the file: \`-- blastwall-ignore-file d1/edited-migration: never applied anywhere\`.`,
    data: { shipped: edit.ref, renamedFrom: from, stops: stops.error },
  };
}

function hitFor(
  file: MigrationFile,
  edit: ShippedEdit,
  windows: ReleaseWindows,
  code: CodeMentions | undefined,
  dir: MigrationsDir | undefined,
): Hit | undefined {
  const removed = edit.removed();
  const d = shippedDiff(
    edit.shippedText,
    file.text,
    removed.map((r) => r.text),
  );
  const changed = (d.added.length > 0 || d.dropped.length > 0) && !d.sameSchema;
  // The shipped text could not even be parsed: wrangler's apply failed and recorded nothing, so the edit is what runs.
  if (d.shippedNeverRan) return undefined;
  // Renamed: wrangler runs it again where it ran under the old name, even when its text did not change.
  const renamedFrom = edit.shippedName !== file.name ? edit.shippedName : undefined;
  const stops = renamedFrom !== undefined && dir !== undefined ? rerunStops(dir, file, edit) : undefined;
  if (!changed) return stops && renamedOnly(file, edit, stops);
  // A schema change moved into another edited file (an ALTER folded into an earlier CREATE), or one a later migration
  // makes anyway on databases that applied the shipped text, leaves them like new ones, but for marker tables.
  const own = { name: file.name, writes: d.writes, code };
  if (!stops && (harmless(windows.editsDiffer(), own) || harmless(windows.editDiffers(file.name), own)))
    return undefined;
  const what = [
    d.missing.length ? `lack ${listSome(d.missing)}` : "",
    d.extra.length ? `still have ${listSome(d.extra)}` : "",
    !d.missing.length && d.added.length ? `never ran ${listSome(d.added.map((s) => verbOf(s.sql)))}` : "",
    !d.extra.length && d.dropped.length
      ? `ran ${listSome(d.dropped.map((s) => verbOf(s.sql)))}, which it no longer holds`
      : "",
  ].filter(Boolean);
  const renamed = renamedFrom
    ? ` It was also renamed from ${renamedFrom}, so wrangler runs it again under its new name on those databases${stops ? `, ${stopsThere(stops)}` : ""}.`
    : "";
  const folder = folderOf(file);
  const indexes = plainIndexesOnly(d);
  const speedOnly =
    indexes !== undefined && dir !== undefined && stops === undefined && !laterFileTrips(dir, file.name, indexes);
  const speedNote = speedOnly
    ? " Only non-unique indexes differ, and no later migration creates or drops them unguarded: both answer every query alike, and only its speed differs."
    : "";
  return {
    line: d.added[0]?.line ?? 1,
    column: d.added[0]?.column ?? 1,
    message: `${file.name} changed in ${edit.edited} after it shipped (${edit.shipped}). wrangler records applied migrations by name and never runs one again, so databases that applied the earlier text ${what.join("; ")}, while new databases get the new text.${renamed}${speedNote}`,
    fix: `Restore the shipped text${renamedFrom ? " under its shipped name" : ""} (\`git show ${edit.ref}:./${folder}${edit.shippedName} > ${folder}${edit.shippedName}\`${renamedFrom ? `, then \`git rm ${file.rel}\`` : ""}) and put the change in a new migration after the last one${removed.length ? `; the migrations deleted since (${listSome(removed.map((r) => r.name))}) ran on those databases too` : ""}. If no database applied the earlier text, say so at the top of the file: \`-- blastwall-ignore-file d1/edited-migration: never applied anywhere\`.`,
    data: { shipped: edit.ref, missing: d.missing, extra: d.extra },
    ...(speedOnly ? { severity: "info" as const } : {}),
  };
}

/** A migration whose text changed after databases applied it: they never run the new text. */
export default defineRule({
  meta: {
    id: "d1/edited-migration",
    severity: "warning",
    summary: "A migration was edited after it shipped, so databases that applied it never get the change",
  },
  checkMigration: ({ file, windows, code, folder, folderFindings = [] }) => {
    // migrations.lock already reports this edit, as an error.
    if (folderFindings.some((f) => f.rule === "d1/lock-mismatch" && f.data?.kind === "edited")) return [];
    const edit = windows?.edited(file.name);
    const hit = edit && windows && !file.unreadable ? hitFor(file, edit, windows, code, folder?.dir) : undefined;
    return hit ? [hit] : [];
  },
});
