import { readFileSync } from "node:fs";
import type Database from "better-sqlite3";
import type { Finding, MigrationSummary } from "../findings.js";
import { fileRules } from "../rules/d1/index.js";
import { meta as lockMeta, check as lockMismatch } from "../rules/d1/lock-mismatch.js";
import { check as missingDir, meta as missingDirMeta } from "../rules/d1/missing-migrations-dir.js";
import { check as outOfOrder, meta as outOfOrderMeta } from "../rules/d1/out-of-order-migration.js";
import { collapseRebuilds } from "../sql/rebuild.js";
import { createReplayer, type Replayer } from "../sql/replay.js";
import { splitStatements } from "../sql/split.js";
import { classify } from "./classify.js";
import { LOCK_FILE, type MigrationContent, readLock, verifyLock } from "./lock.js";
import { listMigrationFiles, type MigrationsDir, migrationPath, readMigration } from "./migrations.js";
import type { MigrationFile } from "./rule.js";
import { applySuppressions } from "./suppress.js";

export interface AnalyzeDirOptions {
  /** Opens a private copy of the `--data` snapshot (called once per migrations folder). */
  data?: { open: () => Database.Database; label: string };
  progress?: (detail: string) => void;
}

export interface DirAnalysis {
  files: MigrationFile[];
  findings: Finding[];
  migrations: MigrationSummary[];
  /** Files replayed on `--data` (those its migrations table does not list as applied). */
  pendingOnData?: string[];
}

const lc = (s: string) => s.toLowerCase();

/** Replays one file and folds its changes; the replayer's schema moves forward by the file. */
function replayFile(replayer: Replayer, dir: MigrationsDir, name: string): MigrationFile {
  const read = readMigration(migrationPath(dir, name));
  const rel = dir.rel === "." ? name : `${dir.rel}/${name}`;
  const empty: MigrationFile = {
    name,
    rel,
    text: read.text,
    statements: [],
    comments: [],
    problems: [],
    outcomes: [],
    changes: [],
    createdHere: new Set(),
    copyLines: new Set(),
    classes: new Set(),
    class: "expand",
  };
  if (read.unreadable !== undefined) return { ...empty, unreadable: read.unreadable };
  const split = splitStatements(read.text);
  const firstProblem = split.problems[0]?.offset ?? Number.POSITIVE_INFINITY;
  const outcome = replayer.applyFile(name, split.statements, firstProblem);
  const raw = outcome.statements.flatMap((o) => o.changes);
  const changes = collapseRebuilds(raw, (t) => replayer.tables.get(lc(t)));
  // From the raw changes, so scratch tables created and dropped in the file also count as new.
  const createdHere = new Set(raw.flatMap((c) => (c.kind === "create-table" ? [lc(c.table)] : [])));
  const lines = outcome.statements.map((o, i) => ({ ...o, line: split.statements[i]?.line ?? 1 }));
  const copyLines = new Set<number>();
  for (const c of changes) {
    if (c.kind !== "modify-table") continue;
    for (const o of lines)
      if (o.verb === "insert" && o.insertSelect && o.line >= c.line && o.line <= c.dropLine) copyLines.add(o.line);
  }
  const { classes, class: cls } = classify(changes, lines, copyLines, createdHere);
  return {
    ...empty,
    statements: split.statements,
    comments: split.comments,
    problems: split.problems,
    outcomes: outcome.statements,
    changes,
    createdHere,
    copyLines,
    classes,
    class: cls,
  };
}

/**
 * Analyses one migrations folder: replays its history on a fresh SQLite (and the pending part on `--data`),
 * runs every D1 rule, applies suppressions and verifies migrations.lock.
 *
 * @example
 * const dirs = listMigrationDirs(project);
 * const { findings, migrations } = analyzeMigrationsDir(dirs[0], { progress: console.log });
 */
export function analyzeMigrationsDir(dir: MigrationsDir, { data, progress }: AnalyzeDirOptions = {}): DirAnalysis {
  const findings: Finding[] = [];
  const missing = missingDir(dir);
  if (missing.length > 0 || !dir.exists) {
    for (const h of missing)
      findings.push({ rule: missingDirMeta.id, severity: missingDirMeta.severity, file: dir.declaredAt.file, ...h });
    return { files: [], findings, migrations: [] };
  }
  const names = listMigrationFiles(dir.dir);
  const replayer = createReplayer({ migrationsTable: dir.migrationsTable });
  const files: MigrationFile[] = [];
  const every = Math.max(1, Math.floor(names.length / 20));
  try {
    names.forEach((name, i) => {
      files.push(replayFile(replayer, dir, name));
      if (i % every === 0 || i === names.length - 1)
        progress?.(`${i + 1}/${names.length} files of ${dir.rel}/ replayed`);
    });
  } finally {
    replayer.close();
  }

  let pendingOnData: string[] | undefined;
  if (data) pendingOnData = replayOnData(dir, files, data, progress);

  for (const file of files) {
    const own: Finding[] = [];
    for (const rule of fileRules) {
      for (const hit of rule.check({ file, dataLabel: data?.label })) {
        const { severity, ...rest } = hit;
        own.push({ rule: rule.meta.id, severity: severity ?? rule.meta.severity, file: file.rel, ...rest });
      }
    }
    findings.push(...applySuppressions(file.rel, file.statements, file.comments, own));
  }
  findings.push(...checkLock(dir, names));
  const database = dir.databases.join(", ");
  return {
    files,
    findings,
    migrations: files.map((f) => ({ file: f.rel, class: f.class, database })),
    ...(pendingOnData ? { pendingOnData } : {}),
  };
}

/** Replays the files `--data` has not applied yet on a copy of it, recording rows changed, lost and constraint errors. */
function replayOnData(
  dir: MigrationsDir,
  files: MigrationFile[],
  { open, label }: { open: () => Database.Database; label: string },
  progress?: (detail: string) => void,
): string[] | undefined {
  const db = open();
  const replayer = createReplayer({ db, migrationsTable: dir.migrationsTable, trackRows: true });
  try {
    const applied = replayer.applied();
    // A snapshot of another database (none of its applied migrations is in this folder) says nothing here.
    if (applied.size > 0 && !files.some((f) => applied.has(f.name))) {
      progress?.(`${label} records none of the migrations in ${dir.rel}; not replayed on it`);
      return undefined;
    }
    const pending = files.filter((f) => !applied.has(f.name) && !f.unreadable);
    pending.forEach((f, i) => {
      const firstProblem = f.problems[0]?.offset ?? Number.POSITIVE_INFINITY;
      f.data = replayer.applyFile(f.name, f.statements, firstProblem);
      progress?.(
        `${i + 1}/${pending.length} pending files of ${dir.rel}/ replayed on ${label} (${applied.size} applied there before)`,
      );
    });
    return pending.map((f) => f.name);
  } finally {
    replayer.close();
  }
}

function checkLock(dir: MigrationsDir, names: readonly string[]): Finding[] {
  const lockRel = dir.rel === "." ? LOCK_FILE : `${dir.rel}/${LOCK_FILE}`;
  const entries = readLock(dir.dir, lockRel);
  if (!entries) return [];
  const contents: MigrationContent[] = names.map((name) => ({ name, content: safeRead(migrationPath(dir, name)) }));
  const rel = (name: string) => (dir.rel === "." ? name : `${dir.rel}/${name}`);
  const out: Finding[] = [];
  for (const p of verifyLock(entries, contents)) {
    if (p.kind === "out-of-order") {
      out.push({
        rule: outOfOrderMeta.id,
        severity: outOfOrderMeta.severity,
        file: rel(p.name),
        ...outOfOrder(p.name, p.latestLocked),
      });
      continue;
    }
    const hit = lockMismatch(p, { lock: lockRel, file: rel });
    if (hit) out.push({ rule: lockMeta.id, severity: lockMeta.severity, ...hit });
  }
  return out;
}

function safeRead(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}
