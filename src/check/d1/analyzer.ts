import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import Database from "better-sqlite3";
import { BlastwallError } from "../../core/errors.js";
import { relativeTo } from "../../project/discover.js";
import type { Analyzer } from "../analyzer.js";
import type { Finding, MigrationSummary } from "../findings.js";
import { analyzeMigrationsDir } from "./analyze.js";
import { codeMentionsFor } from "./code-mentions.js";
import { loadDataSnapshot } from "./data.js";
import { listMigrationDirs } from "./migrations.js";

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
        const out = analyzeMigrationsDir(dir, {
          progress,
          ...(baseSchema ? { baseSchema } : {}),
          code: codeMentionsFor({ configs: dir.configs, label: (p) => relativeTo(project.root, p) }),
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
