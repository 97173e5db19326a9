import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import Database from "better-sqlite3";
import { BlastwallError } from "../../core/errors.js";
import { relativeTo } from "../../project/discover.js";
import type { Analyzer } from "../analyzer.js";
import type { Finding, MigrationSummary } from "../findings.js";
import { type AnalyzeDirOptions, analyzeMigrationsDir, type DirAnalysis } from "./analyze.js";
import { type CodeMentions, codeMentionsFor } from "./code-mentions.js";
import { loadDataSnapshot } from "./data.js";
import { drizzleBaseFor } from "./drizzle-base.js";
import { folderBindings, listMigrationDirs, type MigrationsDir, migrationNames } from "./migrations.js";
import { releaseWindows } from "./release-windows.js";

/** The `--base-schema` file's SQL, labelled as the user sees it. */
function readBaseSchema(root: string, path: string): { sql: string; label: string } {
  const abs = resolve(path);
  const rel = relative(root, abs);
  const label = rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
  try {
    return { sql: readFileSync(abs, "utf8"), label };
  } catch (err) {
    throw new BlastwallError(`--base-schema ${label}: ${(err as Error).message}`, {
      kind: "input",
      location: { file: label },
      fix: "write it with `wrangler d1 export <db> --remote --no-data --output=base-schema.sql`",
    });
  }
}

const lc = (s: string) => s.toLowerCase();
/** Findings that say the history does not apply on its own: tables it never creates, statements SQLite rejects. */
const unapplied = (a: DirAnalysis) =>
  a.findings
    .filter((f) => (f.rule === "d1/missing-base-schema" || f.rule === "d1/sql-error") && f.severity !== "info")
    .map((f) => `${f.rule}@${f.file}:${f.line}`);

/**
 * Analyses a folder; when its history uses tables it never creates and a drizzle folder of the project creates
 * them (drizzle-kit migrate applies it to the same database), analyses it again on top of that folder, and keeps
 * that reading when it leaves fewer statements that cannot apply and no new one.
 */
function analyzeOnBase(dir: MigrationsDir, root: string, options: AnalyzeDirOptions): DirAnalysis {
  const first = analyzeMigrationsDir(dir, options);
  const missing = new Set(
    first.findings.flatMap((f) =>
      f.rule === "d1/missing-base-schema" && typeof f.data?.table === "string" ? [lc(f.data.table)] : [],
    ),
  );
  const base = missing.size > 0 ? drizzleBaseFor(dir, root, missing) : undefined;
  if (!base) return first;
  const own = options.baseSchema;
  const baseSchema = {
    sql: own ? `${own.sql};\n${base.sql}` : base.sql,
    label: own ? `${own.label} + ${base.folder}` : base.folder,
  };
  let again: DirAnalysis | undefined;
  try {
    again = analyzeMigrationsDir({ ...dir, base }, { ...options, baseSchema });
  } catch {
    return first;
  }
  // Better only when it fixes statements and breaks none that applied before.
  const before = new Set(unapplied(first));
  const after = unapplied(again);
  if (after.length < before.size && after.every((k) => before.has(k))) return again;
  // The two histories overlap: read the folder on its own as before, naming the drizzle folder and why it is not used.
  const failed = again.findings.find((f) => f.rule === "d1/sql-error" && f.severity !== "info");
  const overlap = failed
    ? `${failed.file}:${failed.line}: ${failed.message}`
    : "it leaves as many statements unapplied";
  return analyzeMigrationsDir({ ...dir, base: { ...base, overlap } }, options);
}

/**
 * The D1 migrations analyzer of `blastwall check`: every migrations folder the project's D1 bindings name,
 * each analysed once even when several Workers share it.
 *
 * @example
 * await d1Analyzer.analyze({ project: loadProject("examples/shop"), options: {} });
 */
export const d1Analyzer: Analyzer = {
  name: "d1 migrations",
  analyze: async ({ project, options, progress }) => {
    const findings: Finding[] = [];
    const migrations: MigrationSummary[] = [];
    const appliedOnData: string[] = [];
    let snapshot: ReturnType<typeof loadDataSnapshot> | undefined;
    const dataPath = options.data;
    try {
      const abs = dataPath ? resolve(dataPath) : undefined;
      // Messages name the data file as the user sees it: relative to the project when it lives there.
      const rel = abs ? relative(project.root, abs) : "";
      const label = abs && (rel.startsWith("..") || isAbsolute(rel) ? abs : rel);
      if (abs && label) snapshot = loadDataSnapshot(abs, label);
      const base = snapshot;
      const baseSchema = options.baseSchema ? readBaseSchema(project.root, options.baseSchema) : undefined;
      for (const dir of listMigrationDirs(project)) {
        const mentions = (base: string | undefined) =>
          codeMentionsFor({
            configs: dir.configs,
            label: (p) => relativeTo(project.root, p),
            root: project.root,
            ...(base === undefined ? {} : { base }),
          });
        const atRef = new Map<string, CodeMentions | undefined>();
        const out = analyzeOnBase(dir, project.root, {
          progress,
          ...(baseSchema ? { baseSchema } : {}),
          code: mentions(options.base),
          codeAt: (ref) => {
            if (!atRef.has(ref)) atRef.set(ref, mentions(ref));
            return atRef.get(ref);
          },
          ...(dir.exists
            ? {
                windows: releaseWindows(dir.dir, {
                  base: options.base,
                  names: migrationNames(dir),
                  databaseIds: folderBindings(dir).map((b) => b.binding.database_id),
                }),
              }
            : {}),
          // Each folder replays on its own copy, so one database's migrations never see another's.
          ...(base && label ? { data: { open: () => new Database(base.serialize()), label } } : {}),
        });
        findings.push(...out.findings);
        migrations.push(...out.migrations);
        appliedOnData.push(...(out.appliedOnData ?? []));
      }
    } finally {
      snapshot?.close();
    }
    return { findings, migrations, appliedOnData };
  },
};
