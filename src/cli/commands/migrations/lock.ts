import { readFileSync } from "node:fs";
import { LOCK_FILE, type MigrationContent, readLock, verifyLock, writeLock } from "../../../check/d1/lock.js";
import { listMigrationDirs, migrationNames, migrationPath } from "../../../check/d1/migrations.js";
import { BlastwallError } from "../../../core/errors.js";
import { findProjectDir } from "../../../platform/local/find-project.js";
import { loadProject } from "../../../project/discover.js";
import { defineCommand } from "../../command.js";
import { PROJECT_OPTION } from "../../platform-options.js";

/** `blastwall migrations lock`: records a running hash of every D1 migration in <migrations_dir>/migrations.lock. */
export default defineCommand({
  name: "migrations lock",
  group: "Check",
  summary: "Write migrations.lock: a running hash per D1 migration that `check` verifies",
  description:
    "Refuses when a locked migration was edited, removed or reordered, or a new one sorts before the last locked one; --force rewrites anyway.",
  positionals: [{ name: "project-dir", description: "same as --project (kept for scripts that pass it first)" }],
  options: {
    ...PROJECT_OPTION,
    force: { type: "boolean", description: "rewrite the lock even if locked migrations changed" },
  },
  json: true,
  examples: ["blastwall migrations lock", "blastwall migrations lock --project examples/shop --json"],
  run: async ({ positionals, cwd, out, options }) => {
    const project = loadProject(findProjectDir(cwd, options.project ?? positionals[0]));
    const force = options.force;
    const written: { dir: string; lock: string; migrations: number }[] = [];
    for (const dir of listMigrationDirs(project)) {
      if (!dir.exists) continue;
      const lockRel = dir.rel === "." ? LOCK_FILE : `${dir.rel}/${LOCK_FILE}`;
      const files: MigrationContent[] = migrationNames(dir).map((name) => ({
        name,
        content: readFileSync(migrationPath(dir, name)),
      }));
      const entries = readLock(dir.dir, lockRel);
      const problems = entries ? verifyLock(entries, files) : [];
      const first = problems[0];
      if (first && !force) {
        throw new BlastwallError(
          `${lockRel}: ${first.name} ${first.kind === "out-of-order" ? "is new but sorts before the last locked migration" : `was ${first.kind} since it was locked`} (${problems.length} problem${problems.length === 1 ? "" : "s"})`,
          {
            kind: "failure",
            location: { file: lockRel },
            fix: "run `blastwall check` to see each one; restore the locked files, or pass --force if none of them was applied anywhere",
          },
        );
      }
      writeLock(dir.dir, files);
      written.push({ dir: dir.rel, lock: lockRel, migrations: files.length });
    }
    if (options.json) out.data({ locks: written });
    else if (written.length === 0) out.line("no D1 migrations folder found; nothing to lock");
    else
      for (const w of written) out.line(`wrote ${w.lock} (${w.migrations} migration${w.migrations === 1 ? "" : "s"})`);
    return 0;
  },
});
