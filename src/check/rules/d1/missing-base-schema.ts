import type { DrizzleBase } from "../../d1/migrations.js";
import { type D1FolderContext, type FolderHit, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Says which drizzle folder the history was read on top of (or why not), and what of it was left out. */
function readOnBase({ dir }: D1FolderContext): FolderHit[] {
  const base: DrizzleBase | undefined = dir.base;
  if (!base) return [];
  const how =
    base.driver === "d1-http" ? "drizzle-kit migrate applies it to the database, driver d1-http" : "it creates them";
  const from = `${dir.rel}/ uses ${base.provides.join(", ")} without creating them; they come from ${base.folder}/ (${how})`;
  const skipped = base.skipped.map((s) => `${s.name} (${s.error})`).join("; ");
  const message = base.overlap
    ? `${from}, but ${dir.rel}/ does not apply on top of it either (${base.overlap}): the two folders overlap, so ${dir.rel}/ was checked without it and its statements on those tables are not judged`
    : `${from}, so ${dir.rel}/ was checked on top of its ${plural(base.applied.length, "file")}${skipped ? `, leaving out what SQLite rejects there: ${skipped}` : ""}`;
  const exportFix = `export the schema ${dir.rel}/ starts from (\`wrangler d1 export <db> --remote --no-data --output=base-schema.sql\`, keeping only the tables no file of ${dir.rel}/ creates or alters before) and run \`blastwall check --base-schema base-schema.sql\``;
  return [
    {
      file: base.config,
      line: 1,
      severity: "info",
      message,
      fix: base.overlap
        ? `Apply one history to the database: move the statements of ${dir.rel}/ into ${base.folder}/ (or the reverse), or ${exportFix}.`
        : `To check against production's exact schema instead, ${exportFix}.`,
      data: { folder: base.folder, config: base.config, tables: base.provides, applied: base.applied },
    },
  ];
}

/**
 * A statement fails because a table that no migration creates is missing (it was made in the dashboard, by an ORM
 * push, or by hand): on a fresh database the rest of the history that uses it fails too. A foreign key to such a
 * table fails every write to its child instead. One finding per table.
 */
export default defineRule({
  meta: {
    id: "d1/missing-base-schema",
    severity: "warning",
    summary: "A migration uses a table that no migration creates: the history does not apply to a fresh database",
  },
  checkFolder: readOnBase,
  // A parent that a later migration creates is no missing base (its children's writes wait for it).
  keepOnFinalSchema: (f, tables) =>
    !(f.data?.viaForeignKey === true && typeof f.data.table === "string" && tables.has(f.data.table.toLowerCase())),
  checkMigration: ({ file, base }) => [
    ...(file.missingParents ?? []).map(({ table, child, line }) => ({
      line,
      message: `${child} declares a foreign key to ${table}, which no migration creates (made outside migrations, or never made?): D1 enforces foreign keys, so every INSERT into ${child} (and every DELETE from it) fails with "no such table: main.${table}" on any database that lacks ${table}, a fresh one included`,
      fix: `If production has ${table}, supply the schema the history starts from: \`wrangler d1 export <db> --remote --no-data --output=base-schema.sql\`, keep only what no migration creates, and run \`blastwall check --base-schema base-schema.sql\`, or add a migration with \`CREATE TABLE IF NOT EXISTS ${ident(table)} (…);\`. If it does not, drop the reference by rebuilding ${ident(child)} without \`REFERENCES ${ident(table)}\`.`,
      data: { table, child, viaForeignKey: true },
    })),
    ...(file.missingBase ?? []).flatMap((m) => {
      const o = file.outcomes[m.index];
      const error = o?.error ?? o?.freshError;
      if (!m.first || !error) return [];
      const later = (file.missingBase ?? []).filter((x) => x.table === m.table && !x.via).length - 1;
      const named = base?.provides.includes(m.table.toLowerCase())
        ? `; ${base.folder}/ (${base.config}) creates it, but this folder does not apply on top of it (see the finding there)`
        : "";
      return [
        {
          line: error.line,
          message: `uses table ${m.table}, which no migration before it creates (made outside migrations?): \`wrangler d1 migrations apply --local\` fails here on a fresh database, and every later statement on ${m.table} fails the same way${later > 0 ? ` (${later} more in this file)` : ""}, so they are not reported one by one and the checks that need its schema are skipped${named}`,
          fix: `Supply the schema the history starts from: \`wrangler d1 export <db> --remote --no-data --output=base-schema.sql\`, keep only what no migration creates, and run \`blastwall check --base-schema base-schema.sql\` (its statements run before the first migration). Or add a first migration with \`CREATE TABLE IF NOT EXISTS ${ident(m.table)} (…);\`.`,
          data: { table: m.table },
        },
      ];
    }),
  ],
});
