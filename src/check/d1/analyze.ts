import { readFileSync } from "node:fs";
import type Database from "better-sqlite3";
import { applySuppressions as applyCodeSuppressions } from "../config/suppressions.js";
import type { Finding, MigrationSummary } from "../findings.js";
import { rules } from "../rules/index.js";
import { report } from "../rules/report.js";
import { collapseRebuilds } from "../sql/rebuild.js";
import { createReplayer, type Replayer } from "../sql/replay.js";
import type { Table } from "../sql/schema.js";
import { type SqlStatement, splitStatements } from "../sql/split.js";
import { tokenize } from "../sql/tokens.js";
import { classify, writtenColumns } from "./classify.js";
import type { CodeMentions } from "./code-mentions.js";
import { codeSuppressions } from "./code-suppress.js";
import { createFailureTracker } from "./failed-files.js";
import { InsertedRows } from "./inserted-rows.js";
import { LOCK_FILE, type LockProblem, type MigrationContent, readLock, verifyLock } from "./lock.js";
import { type MigrationsDir, migrationNames, migrationPath, readMigration } from "./migrations.js";
import { nestedMigrationFiles, setAsideMigrationFiles } from "./nested-files.js";
import { isName } from "./net-effect.js";
import { Origins, sameReleaseToInfo } from "./release-origin.js";
import type { ReleaseWindows } from "./release-windows.js";
import { soleSource } from "./row-bounds.js";
import {
  type D1FinalContext,
  type D1FolderContext,
  type D1RuleContext,
  flatChanges,
  type MigrationFile,
  referenceLine,
} from "./rule.js";
import { applySuppressions } from "./suppress.js";

export interface AnalyzeDirOptions {
  /** Opens a private copy of the `--data` snapshot (called once per migrations folder). */
  data?: { open: () => Database.Database; label: string };
  progress?: (detail: string) => void;
  /** `--base-schema`: SQL run before the first migration, for tables created outside migrations. */
  baseSchema?: { sql: string; label: string };
  /** What the bound Workers' code names, for rules that would say "the running version's queries fail". */
  code?: CodeMentions;
  /** Which files ship together (git history or `--base`): contract changes to what their window made are info. */
  windows?: ReleaseWindows;
  /** The bound Workers' code read at a git ref (memoised by the caller): the version that ran before a file shipped. */
  codeAt?: (ref: string) => CodeMentions | undefined;
}

export interface DirAnalysis {
  findings: Finding[];
  migrations: MigrationSummary[];
  /** Files replayed on `--data` (those its migrations table does not list as applied). */
  pendingOnData?: string[];
  /** Files `--data` records as applied, relative to the project. */
  appliedOnData?: string[];
}

const lc = (s: string) => s.toLowerCase();

/** The table of `CREATE [UNIQUE] INDEX … ON t (…)`. */
function indexTable(sql: string): string | undefined {
  const tokens = tokenize(sql, 32);
  const on = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "ON");
  return on < 0 ? undefined : tokens[on + 1]?.text;
}

/** What some rules read of the schema as the file leaves it. */
function schemaAfterFile(
  replayer: Replayer,
  outcomes: MigrationFile["outcomes"],
  changes: MigrationFile["changes"],
  statements: readonly SqlStatement[],
): Pick<Required<MigrationFile>, "tablesAfter" | "renamedChildren" | "danglingChildren"> {
  // Schemas some rules read (a singleton's CHECK, a cascade child's columns), kept as they are after the file.
  const tablesAfter = new Map<string, Table>();
  // A CREATE INDEX statement's target is the index: the tables its changes name count too.
  const named = [
    ...outcomes.flatMap((o) => [o.target ?? "", ...o.cascades.map((c) => c.table)]),
    ...changes.map((c) => c.table),
    // A CREATE INDEX that changed nothing (IF NOT EXISTS on a taken name) still names its table.
    ...outcomes.flatMap((o, i) => (o.verb === "create-index" ? [indexTable(statements[i]?.sql ?? "") ?? ""] : [])),
    // The tables an INSERT … SELECT reads: their keys bound how many rows it copies.
    ...outcomes.flatMap((o, i) =>
      o.insertSelect ? tokenize(statements[i]?.sql ?? "", 400).flatMap((t) => (isName(t) ? [t.text] : [])) : [],
    ),
  ];
  for (const t of named) {
    const table = replayer.tables.get(lc(t));
    if (table) tablesAfter.set(lc(t), table);
  }
  // SQLite re-points the children's REFERENCES at a renamed table: which ones, after the file.
  const renamedChildren = new Map<string, string[]>();
  for (const c of changes)
    if (c.kind === "rename-table")
      renamedChildren.set(
        lc(c.table),
        replayer.childrenOf(c.table).flatMap((t) => (lc(t.name) === lc(c.table) ? [] : [t.name])),
      );
  // A table dropped for good whose children still declare REFERENCES to it: they cannot be written any more.
  // Per statement too: a rebuild folded into one change still dropped `t_old`, which a rename re-pointed them at.
  const danglingChildren = new Map<string, Table[]>();
  for (const c of [...changes, ...outcomes.flatMap((o) => o.changes)]) {
    if (c.kind !== "drop-table" || replayer.tables.has(lc(c.table)) || danglingChildren.has(lc(c.table))) continue;
    const kids = replayer.childrenOf(c.table).filter((t) => lc(t.name) !== lc(c.table));
    if (kids.length > 0) danglingChildren.set(lc(c.table), kids);
  }
  return { tablesAfter, renamedChildren, danglingChildren };
}

/** Replays one file and folds its changes; the replayer's schema moves forward by the file. */
export function replayFile(replayer: Replayer, dir: Pick<MigrationsDir, "dir" | "rel">, name: string): MigrationFile {
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
  // A table rebuilt by renaming it away and creating it again existed before: not new here.
  const rebuilt = new Set(changes.flatMap((c) => (c.kind === "modify-table" ? [lc(c.table)] : [])));
  const createdHere = new Set(
    raw.flatMap((c) =>
      c.kind === "create-table" && !(rebuilt.has(lc(c.table)) && replayer.existedBeforeFile(c.table))
        ? [lc(c.table)]
        : [],
    ),
  );
  // Net effect of the file: a table it drops and creates again under the same name starts empty.
  const dropped = new Set(raw.flatMap((c) => (c.kind === "drop-table" ? [lc(c.table)] : [])));
  const recreated = new Set([...createdHere].filter((t) => replayer.existedBeforeFile(t) && dropped.has(t)));
  const { tablesAfter, renamedChildren, danglingChildren } = schemaAfterFile(
    replayer,
    outcome.statements,
    changes,
    split.statements,
  );
  const lines = outcome.statements.map((o, i) => ({ ...o, line: split.statements[i]?.line ?? 1 }));
  const copyLines = new Set<number>();
  for (const c of changes) {
    if (c.kind !== "modify-table") continue;
    for (const o of lines)
      if (o.verb === "insert" && o.insertSelect && o.line >= c.line && o.line <= c.dropLine) copyLines.add(o.line);
  }
  const { classes, class: cls } = classify(
    changes,
    lines,
    copyLines,
    createdHere,
    writtenColumns(split.statements, outcome.statements),
    tablesAfter,
  );
  return {
    ...empty,
    statements: split.statements,
    comments: split.comments,
    problems: split.problems,
    outcomes: outcome.statements,
    changes,
    createdHere,
    recreated,
    tablesAfter,
    renamedChildren,
    danglingChildren,
    copyLines,
    classes,
    class: cls,
  };
}

interface MissingTracker {
  /** Lower-cased tables the history (or the base schema) created so far. */
  created: Set<string>;
  /** Missing tables already reported once. */
  reported: Set<string>;
  /**
   * Lower-cased tables a statement failed on because of a missing table (an INSERT whose parent was made outside
   * migrations, a rebuild whose DROP cascaded into one): on the replay they lack rows or columns production has.
   */
  short: Set<string>;
  /** Lower-cased foreign-key parents already met missing (see `missingParents`). */
  parents: Set<string>;
  /** Lower-cased tables whose CREATE (… AS SELECT) failed through a missing table: missing because of it. */
  unmade: Set<string>;
}

/**
 * Parents of the foreign keys this file declares that do not exist after it: every INSERT into the child (and
 * DELETE from it) fails on a database without them. Each parent once per history.
 */
function missingParents(
  file: MigrationFile,
  exists: (table: string) => boolean,
  history: MissingTracker,
): MigrationFile["missingParents"] {
  const out: NonNullable<MigrationFile["missingParents"]> = [];
  for (const c of file.changes) {
    const declared = c.kind === "create-table" || c.kind === "modify-table" || c.kind === "add-column";
    const table = declared ? file.tablesAfter?.get(lc(c.table)) : undefined;
    for (const fk of table?.foreignKeys ?? []) {
      const parent = lc(fk.table);
      if (exists(parent) || history.parents.has(parent) || history.reported.has(parent)) continue;
      // An added column's key is the file's own only when it is that column's.
      if (c.kind === "add-column" && !fk.from.some((f) => lc(f) === lc(c.column.name))) continue;
      history.parents.add(parent);
      out.push({ table: fk.table, child: c.table, line: referenceLine(file, c.line, fk.table) });
    }
  }
  return out;
}

/** The missing or short table a failed statement goes through: one it names, or its target's foreign-key parent. */
function failsThrough(file: MigrationFile, index: number, history: MissingTracker): string | undefined {
  const o = file.outcomes[index];
  const stmt = file.statements[index];
  if (!o?.error || !stmt) return undefined;
  const known = (t: string) => history.short.has(lc(t)) || (history.reported.has(lc(t)) && !history.created.has(lc(t)));
  const named = tokenize(stmt.sql).find((t) => (t.kind === "ident" || t.kind === "word") && known(t.text));
  if (named) return named.text;
  if (o.error.code !== "SQLITE_CONSTRAINT_FOREIGNKEY" || o.target === undefined) return undefined;
  return file.tablesAfter?.get(lc(o.target))?.foreignKeys.find((fk) => known(fk.table))?.table;
}

/**
 * Statements that fail on a table no migration created before them: one cause, reported once per table. Statements
 * that then fail only through it (a child row whose parent row could not be inserted, a rebuild whose DROP failed,
 * a column that rebuild would have added) are marked `via` and judged by nobody.
 */
function missingBase(file: MigrationFile, history: MissingTracker): MigrationFile["missingBase"] {
  const out: NonNullable<MigrationFile["missingBase"]> = [];
  file.outcomes.forEach((o, index) => {
    // A statement that ran on stand-ins for its missing parents still fails on a fresh database.
    const error = o.error ?? o.freshError;
    if (!error) return;
    const named = /no such table: (?:main\.)?(\S+)/.exec(error.message)?.[1];
    // A table whose CREATE … AS SELECT failed on a missing table is missing through it, not a cause of its own.
    if (named && history.unmade.has(lc(named)) && !history.created.has(lc(named))) {
      out.push({ index, table: named, first: false, via: true });
    } else if (named && !history.created.has(lc(named))) {
      const first = !history.reported.has(lc(named));
      history.reported.add(lc(named));
      out.push({ index, table: named, first });
    } else {
      const via = failsThrough(file, index, history);
      if (via === undefined) return;
      out.push({ index, table: via, first: false, via: true });
    }
    if (o.verb === "create-table" && o.target !== undefined && o.error) history.unmade.add(lc(o.target));
    // A statement replayed with stand-ins for its missing parents left production's effect: its table is not short.
    if (o.target !== undefined && !o.freshError) history.short.add(lc(o.target));
  });
  for (const t of file.createdHere) {
    history.created.add(t);
    history.short.delete(t);
  }
  return out;
}

/**
 * Adds to `seeded` the tables this file writes rows into, in statement order: INSERT and REPLACE (a rebuild's copy
 * only when it reads a seeded table), and renames carry a table's mark to its new name.
 */
function trackSeeded(file: MigrationFile, seeded: Set<string>): void {
  file.outcomes.forEach((o, i) => {
    const stmt = file.statements[i];
    if (stmt && o.target && (o.verb === "insert" || o.verb === "replace")) {
      const source = file.copyLines.has(stmt.line) ? soleSource(tokenize(stmt.sql)) : undefined;
      if (source === undefined || seeded.has(source)) seeded.add(lc(o.target));
    }
    for (const c of o.changes) if (c.kind === "rename-table" && seeded.has(lc(c.from))) seeded.add(lc(c.table));
  });
}

/**
 * Analyses one migrations folder: replays its history on a fresh SQLite (and the pending part on `--data`),
 * runs every D1 rule, applies suppressions and verifies migrations.lock.
 *
 * @example
 * const dirs = listMigrationDirs(project);
 * const { findings, migrations } = analyzeMigrationsDir(dirs[0], { progress: console.log });
 */
export function analyzeMigrationsDir(
  dir: MigrationsDir,
  { data, progress, code, baseSchema, windows, codeAt }: AnalyzeDirOptions = {},
): DirAnalysis {
  const names = migrationNames(dir);
  const { findings, byFile: folder } = folderFindings(dir, names, windows);
  if (!dir.exists) return { findings, migrations: [] };
  const database = dir.databases.join(", ");
  const migrations: MigrationSummary[] = [];
  const replayer = createReplayer({ migrationsTable: dir.migrationsTable, ...(baseSchema ? { baseSchema } : {}) });
  const history: MissingTracker = {
    created: new Set(replayer.tables.keys()),
    reported: new Set(),
    short: new Set(),
    parents: new Set(),
    unmade: new Set(),
  };
  const failures = createFailureTracker();
  const seeded = new Set<string>();
  const inserted = new InsertedRows();
  const createdBy = new Map<string, string>();
  const removed = new Set<string>();
  const origins = new Origins();
  const onData = data ? openDataReplay(dir, names, data, progress) : undefined;
  const every = Math.max(1, Math.floor(names.length / 20));
  try {
    // One file at a time, start to finish: replay, replay on data, rules. Nothing of a file outlives its turn
    // but its class, so memory (and the garbage collector's work) stays flat however long the history is.
    names.forEach((name, i) => {
      const file = replayFile(replayer, dir, name);
      file.missingBase = missingBase(file, history);
      const excused = new Set(file.missingBase?.map((m) => m.index));
      file.followsFailure = failures.follow(file, (index) => excused.has(index));
      file.missingParents = missingParents(file, (t) => replayer.tables.has(t), history);
      if (onData?.pending.has(name) && !file.unreadable) replayOnData(file, onData, dir, progress);
      file.seeded = seeded;
      file.insertedRows = inserted;
      file.createdBy = createdBy;
      file.tableAfter = (t) => replayer.tables.get(lc(t));
      const own = runRules(
        file,
        {
          dataLabel: data?.label,
          code,
          base: dir.base,
          windows,
          folder: { dir, last: names[names.length - 1] ?? "" },
          running: () => runningCode(name, { code, windows, codeAt }),
        },
        folder.get(name) ?? [],
      );
      const pendingOnData = onData ? (n: string) => onData.pending.has(n) : undefined;
      findings.push(...(windows ? sameReleaseToInfo(own, { file, origins, windows, pendingOnData }) : own));
      origins.record(file);
      trackSeeded(file, seeded);
      inserted.record(file);
      for (const t of file.createdHere) createdBy.set(t, file.name);
      noteRemovedColumns(file, removed);
      migrations.push({ file: file.rel, class: file.class, database });
      if (i % every === 0 || i === names.length - 1)
        progress?.(`${i + 1}/${names.length} files of ${dir.rel}/ replayed`);
    });
    // Rules judged against the code about to be deployed settle on the schema the whole history leaves. A missing
    // foreign-key parent that a later migration creates, or that a failing statement reported, is no finding of its own.
    const settled = findings.filter(
      (f) =>
        (byId.get(f.rule)?.keepOnFinalSchema?.(f, replayer.tables) ?? true) &&
        !(f.data?.viaForeignKey === true && typeof f.data.table === "string" && history.reported.has(lc(f.data.table))),
    );
    findings.splice(0, findings.length, ...settled);
    if (code && names.length > 0) findings.push(...finalSchemaFindings({ dir, names, replayer, code, removed }));
  } finally {
    replayer.close();
    onData?.replayer.close();
  }
  if (!onData) return { findings, migrations };
  const rel = (n: string) => (dir.rel === "." ? n : `${dir.rel}/${n}`);
  const appliedOnData = names.filter((n) => !onData.pending.has(n)).map(rel);
  return { findings, migrations, pendingOnData: [...onData.pending], appliedOnData };
}

/** Replays a pending file on the `--data` snapshot, up to its first problem, and says how far that has got. */
function replayOnData(
  file: MigrationFile,
  onData: DataReplay,
  dir: MigrationsDir,
  progress: ((detail: string) => void) | undefined,
): void {
  const firstProblem = file.problems[0]?.offset ?? Number.POSITIVE_INFINITY;
  file.data = onData.replayer.applyFile(file.name, file.statements, firstProblem);
  onData.done++;
  progress?.(
    `${onData.done}/${onData.pending.size} pending files of ${dir.rel}/ replayed on ${onData.label} (${onData.appliedBefore} applied there before)`,
  );
}

/** The rules that judge the code's statements on the schema the whole history leaves (built once, if any run). */
function finalSchemaFindings({
  dir,
  names,
  replayer,
  code,
  removed,
}: {
  dir: MigrationsDir;
  names: readonly string[];
  replayer: Replayer;
  code: CodeMentions;
  removed: ReadonlySet<string>;
}): Finding[] {
  const judges = rules.filter((r) => r.checkFinalSchema);
  const nested = nestedMigrationFiles(dir);
  const setAside = setAsideMigrationFiles(dir);
  if (judges.length === 0 || (code.queries().queries.length === 0 && nested.length === 0 && setAside.length === 0))
    return [];
  return replayer.withFinalSchema((db) => {
    const compile = (sql: string): string | undefined => {
      try {
        db.prepare(sql);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    };
    const last = names[names.length - 1] ?? "";
    const ctx: D1FinalContext = { dir, last, tables: replayer.tables, code, compile, removed, nested, setAside };
    const found = judges.flatMap((rule) =>
      (rule.checkFinalSchema?.(ctx) ?? []).map((hit) => report(rule.meta, hit, hit.file)),
    );
    // They point into source files: the `// blastwall-ignore` comments written there apply (the code analyzer
    // reports the malformed ones).
    return [...new Set(found.map((f) => f.file))].flatMap((file) =>
      applyCodeSuppressions(
        found.filter((f) => f.file === file),
        codeSuppressions(file, code.textOf(file) ?? "").scoped,
      ),
    );
  });
}

/** Adds `table.column` (lower-cased) for each column the file drops or renames away, a table's too when it drops it. */
function noteRemovedColumns(file: MigrationFile, removed: Set<string>): void {
  for (const c of flatChanges(file)) {
    if (c.kind === "drop-column") removed.add(lc(`${c.table}.${c.column.name}`));
    else if (c.kind === "rename-column") removed.add(lc(`${c.table}.${c.from}`));
    else if (c.kind === "drop-table") for (const col of c.before.columns) removed.add(lc(`${c.table}.${col.name}`));
  }
}

/**
 * The code that ran before `name` shipped: `code` itself when read at `--base`; else, for a file a commit added, the
 * code at that commit's parent (the version the migration met when it went out). Undefined when unknown: an
 * uncommitted file, a root commit, a shallow clone's boundary.
 */
function runningCode(
  name: string,
  { code, windows, codeAt }: Pick<AnalyzeDirOptions, "code" | "windows" | "codeAt">,
): CodeMentions | undefined {
  if (code?.at !== undefined) return code;
  const id = windows?.of(name)?.id;
  return id !== undefined && /^[0-9a-f]{40}$/.test(id) ? codeAt?.(`${id.slice(0, 10)}^`) : undefined;
}

/** The rules by id, for the checks that run on a rule's own findings. */
const byId = new Map(rules.map((r) => [r.meta.id, r]));

function runRules(
  file: MigrationFile,
  context: Omit<D1RuleContext, "file">,
  fromFolder: readonly Finding[],
): Finding[] {
  const own: Finding[] = [...fromFolder];
  for (const rule of rules)
    for (const hit of rule.checkMigration?.({ file, ...context, folderFindings: fromFolder }) ?? [])
      own.push(report(rule.meta, hit, file.rel));
  return applySuppressions(file.rel, file.statements, file.comments, own);
}

interface DataReplay {
  replayer: Replayer;
  /** Files the snapshot has not applied, which are replayed on it in order. */
  pending: Set<string>;
  appliedBefore: number;
  label: string;
  done: number;
}

/** Opens a copy of `--data` for this folder, or undefined when the snapshot belongs to another database. */
function openDataReplay(
  dir: MigrationsDir,
  names: readonly string[],
  { open, label }: { open: () => Database.Database; label: string },
  progress?: (detail: string) => void,
): DataReplay | undefined {
  const replayer = createReplayer({ db: open(), migrationsTable: dir.migrationsTable, trackRows: true });
  const applied = replayer.applied();
  // A snapshot of another database (none of its applied migrations is in this folder) says nothing here.
  if (applied.size > 0 && !names.some((n) => applied.has(n))) {
    replayer.close();
    progress?.(`${label} records none of the migrations in ${dir.rel}; not replayed on it`);
    return undefined;
  }
  return {
    replayer,
    pending: new Set(names.filter((n) => !applied.has(n))),
    appliedBefore: applied.size,
    label,
    done: 0,
  };
}

/**
 * Folder rules' findings: those about a file of the folder by its name (they go through that file's suppressions
 * with its own findings), the rest (a missing folder, migrations.lock) as they are.
 */
function folderFindings(
  dir: MigrationsDir,
  names: readonly string[],
  windows: ReleaseWindows | undefined,
): { findings: Finding[]; byFile: Map<string, Finding[]> } {
  const fileOf = (name: string) => (dir.rel === "." ? name : `${dir.rel}/${name}`);
  const lockFile = fileOf(LOCK_FILE);
  let lock: { file: string; problems: LockProblem[] } | undefined | null = null;
  const ctx: D1FolderContext = {
    dir,
    names,
    fileOf,
    windows,
    lock: () => {
      if (lock === null) lock = checkLock(dir, names, lockFile);
      return lock;
    },
  };
  const findings: Finding[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const rule of rules) {
    for (const { name, ...hit } of rule.checkFolder?.(ctx) ?? []) {
      const f = report(rule.meta, hit, name === undefined ? dir.declaredAt.file : fileOf(name));
      if (name === undefined) findings.push(f);
      else byFile.set(name, [...(byFile.get(name) ?? []), f]);
    }
  }
  return { findings, byFile };
}

/** migrations.lock compared with the folder, or undefined when the folder has no lock file. */
function checkLock(
  dir: MigrationsDir,
  names: readonly string[],
  lockFile: string,
): { file: string; problems: LockProblem[] } | undefined {
  const entries = readLock(dir.dir, lockFile);
  if (!entries) return undefined;
  const contents: MigrationContent[] = names.map((name) => ({ name, content: safeRead(migrationPath(dir, name)) }));
  return { file: lockFile, problems: verifyLock(entries, contents) };
}

function safeRead(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}
