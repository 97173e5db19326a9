import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { Analyzer } from "../analyzer.js";
import type { Finding, MigrationSummary } from "../findings.js";
import { analyzeMigrationsDir } from "./analyze.js";
import { loadDataSnapshot } from "./data.js";
import { listMigrationDirs } from "./migrations.js";

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
    let snapshot: ReturnType<typeof loadDataSnapshot> | undefined;
    const dataPath = options.data;
    try {
      if (dataPath) snapshot = loadDataSnapshot(resolve(dataPath), dataPath);
      const base = snapshot;
      for (const dir of listMigrationDirs(project)) {
        const out = analyzeMigrationsDir(dir, {
          progress,
          // Each folder replays on its own copy, so one database's migrations never see another's.
          ...(base && dataPath ? { data: { open: () => new Database(base.serialize()), label: dataPath } } : {}),
        });
        findings.push(...out.findings);
        migrations.push(...out.migrations);
      }
    } finally {
      snapshot?.close();
    }
    return { findings, migrations };
  },
};
