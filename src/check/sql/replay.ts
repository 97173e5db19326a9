import Database from "better-sqlite3";
import { BlastwallError } from "../../core/errors.js";
import { type Change, diffTable, type Located } from "./diff.js";
import { type ClosureOptions, dumpDatabase, MasterSchema, namesIn, type SchemaEvent } from "./master.js";
import { quoteIdent, readObject, readObjects, readTable, type SchemaObject, type Table } from "./schema.js";
import type { SqlStatement } from "./split.js";
import { type StarCopy, starCopy } from "./star-copy.js";
import { describeStatement, type StatementInfo, type StatementVerb, tokenize, updatedColumns } from "./tokens.js";

/** SQL whose values differ from one run to the next: random ids and the clock. */
const NONDETERMINISTIC = /\b(random|randomblob)\s*\(|\bcurrent_(timestamp|date|time)\b|'now'/i;

/** Wrangler's own bookkeeping table (wrangler/src/d1/migrations/helpers.ts, initMigrationsTable). */
export function migrationsTableSql(name: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(name)}(
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;
}

/** A foreign key action that a delete on a parent table fires in a child table. */
export interface Cascade {
  /** The child table. */
  table: string;
  /** CASCADE deletes rows; SET NULL / SET DEFAULT keeps them but loses the link. */
  action: string;
  /** The cascade, parent first: e.g. ["orders", "order_items"]. */
  path: string[];
  /** The child's foreign key columns and the parent's key, for the message. */
  fk: string;
  /** The child's foreign key columns. */
  columns: string[];
}

/** Rows that a statement removed (or unlinked) in another table through a foreign key action. */
export interface RowLoss extends Cascade {
  rows: number;
}

export interface StatementOutcome {
  verb: StatementVerb;
  target?: string;
  /** UPDATE / DELETE carry a top-level WHERE. */
  hasWhere: boolean;
  insertSelect: boolean;
  /** A reserved table the statement names (d1_migrations, sqlite_*, _cf_*), if any. */
  reserved?: string;
  changes: Located<Change>[];
  error?: { message: string; line: number; code?: string };
  /** Not executed: transaction control (D1 rejects it), or text the splitter could not close. */
  skipped?: "transaction" | "unterminated";
  rowsChanged: number;
  rowLoss: RowLoss[];
  /** For DROP TABLE: the foreign key actions the implicit DELETE fires in child tables. */
  cascades: Cascade[];
  /**
   * For DROP TABLE and DELETE without WHERE: NO ACTION / RESTRICT foreign keys (reached directly or through cascades) that the implicit
   * DELETE violates as soon as the child holds a row: the DROP fails unless the file defers foreign keys.
   */
  blockers: Cascade[];
  /** For DROP TABLE on data: how many rows the table held. */
  droppedRows?: number;
  /**
   * Foreign-key parents made outside the migrations that the statement needed: it fails for want of them on a fresh
   * database (`freshError`), and ran here with empty stand-ins, as production runs it (so `error` is unset).
   */
  stubbedParents?: string[];
  freshError?: { message: string; line: number; code?: string };
  /** For `INSERT … SELECT *`: the columns it fills and the ones it copies, in the order SQLite pairs them. */
  starCopy?: StarCopy;
}

export interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  count: number;
}

/**
 * wrangler sends a file and the insert of its name into the migrations table together, so a name a migration wrote
 * itself makes the whole file fail. Reported on the statement that wrote it in this file, else on its last one.
 */
function noteRecordClash(
  outcomes: StatementOutcome[],
  statements: readonly SqlStatement[],
  name: string,
  table: string,
): void {
  const ok = (o: StatementOutcome) => !o.error && !o.skipped;
  let at = outcomes.findLastIndex((o) => ok(o) && o.reserved?.toLowerCase() === table.toLowerCase());
  if (at < 0) at = outcomes.findLastIndex(ok);
  const outcome = outcomes[at];
  if (!outcome) return;
  outcome.error = {
    message: `wrangler records ${name} in ${table} after the file's statements, and that insert fails ("UNIQUE constraint failed: ${table}.name") because a migration already wrote that name: D1 rolls the whole file back, so it never applies`,
    line: statements[at]?.line ?? 1,
    code: "SQLITE_CONSTRAINT_UNIQUE",
  };
}

export interface FileOutcome {
  statements: StatementOutcome[];
  /** PRAGMA foreign_key_check after the file: rows whose parent no longer exists (data replay only). */
  foreignKeyViolations: ForeignKeyViolation[];
  /** Data replay: rows at the end of the file in each table the file dropped and created again (a rebuild). */
  rowsAfter: Record<string, number>;
}

export interface ReplayerOptions {
  /** A database to replay on (data replay); a fresh in-memory one when absent. */
  db?: Database.Database;
  migrationsTable?: string;
  /** Count rows around deleting statements to report cascades (data replay). */
  trackRows?: boolean;
  /** Schema that exists before the first migration (`--base-schema`): tables made outside migrations. */
  baseSchema?: { sql: string; label: string };
  /**
   * `subset` (the default): each file runs on a fresh database holding only the objects it can touch, copied from a
   * master kept in JS, so the cost per file follows what it touches, not the schema size. `whole`: one database
   * for the whole history. `verify`: both, failing on the first file whose outcome differs. The environment
   * variable BLASTWALL_REPLAY overrides the default. Data replay (`db` given) always uses the whole database.
   */
  engine?: ReplayEngine;
}

export type ReplayEngine = "subset" | "whole" | "verify";

function engineFromEnv(): ReplayEngine {
  const v = process.env.BLASTWALL_REPLAY;
  return v === "whole" || v === "verify" ? v : "subset";
}

const lc = (s: string) => s.toLowerCase();
const SCHEMA_VERBS = new Set<StatementVerb>([
  "create-table",
  "create-virtual-table",
  "drop-table",
  "alter-table",
  "create-index",
  "drop-index",
  "create-view",
  "drop-view",
  "create-trigger",
  "drop-trigger",
]);
const TABLE_CONTEXT = new Set(["INTO", "TABLE", "EXISTS", "REFERENCES", "ON", "JOIN", "FROM", "UPDATE", "."]);
const DELETING_VERBS = new Set<StatementVerb>(["drop-table", "delete", "replace", "update"]);

interface FkRow {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/**
 * Replays migrations on real SQLite, one statement at a time, inside one transaction per file as D1 does,
 * with foreign keys enforced as on D1. After each statement it re-reads only the tables the statement can
 * touch, so replay time grows linearly with the number of statements, not with the schema size.
 *
 * @example
 * const r = createReplayer();
 * const out = r.applyFile("0001_init.sql", splitStatements(sql).statements);
 * out.statements[0]?.changes; // [{ kind: "create-table", table: "orders", … }]
 */
export class Replayer {
  readonly tables = new Map<string, Table>();
  private readonly objects = new Map<string, SchemaObject>();
  private readonly indexOwner = new Map<string, string>();
  private readonly children = new Map<string, Set<string>>();
  private readonly migrationsTable: string;
  private readonly trackRows: boolean;
  /** The one database of whole replay (and of subset replay once a file needs it for good). */
  private whole: Database.Database | undefined;
  /** Subset replay: everything, kept in JS between files. */
  private master: MasterSchema | undefined;
  /** Subset replay: the current file's database. */
  private part: ReturnType<MasterSchema["build"]> | undefined;
  private events: SchemaEvent[] = [];
  /** Lower-cased tables the last file created, changed or dropped → whether each existed before it. */
  private readonly beforeFile = new Map<string, boolean>();
  /** `verify`: the same history on one whole database, compared file by file. */
  private readonly twin: Replayer | undefined;
  /** Set once a file wrote values no two replays agree on (random(), the clock): rows are no longer compared. */
  private twinRowsDiverge = false;
  /** Empty stand-ins for foreign-key parents made outside the migrations, kept until the file is committed. */
  private stubs: string[] = [];
  /** Lower-cased views and triggers whose break an ALTER already reported (see `runPastBroken`). */
  private readonly brokenReported = new Set<string>();

  constructor(options: ReplayerOptions = {}) {
    const { db, migrationsTable = "d1_migrations", trackRows = false, baseSchema } = options;
    const engine = db ? "whole" : (options.engine ?? engineFromEnv());
    const whole = db ?? new Database(":memory:");
    this.whole = whole;
    this.migrationsTable = migrationsTable;
    this.trackRows = trackRows;
    whole.pragma("foreign_keys = ON");
    whole.exec(migrationsTableSql(migrationsTable));
    if (baseSchema) this.applyBaseSchema(baseSchema);
    for (const r of whole.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[])
      this.refresh(r.name);
    for (const o of readObjects(whole)) this.objects.set(`${o.type}:${lc(o.name)}`, o);
    const virtual = whole.prepare("SELECT 1 FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL%'").get();
    if (engine !== "whole" && !trackRows && !virtual) {
      this.master = MasterSchema.read(whole);
      whole.close();
      this.whole = undefined;
    }
    this.twin = engine === "verify" && this.master ? new Replayer({ ...options, engine: "whole" }) : undefined;
  }

  /** The database the current statement runs on. */
  get db(): Database.Database {
    const db = this.part?.db ?? this.whole;
    if (!db) throw new Error("replayer: no database outside a file (subset replay)");
    return db;
  }

  private applyBaseSchema({ sql, label }: { sql: string; label: string }): void {
    try {
      this.db.exec(sql);
    } catch (err) {
      this.db.close();
      throw new BlastwallError(`${label}: SQLite rejects the base schema: ${(err as Error).message}`, {
        kind: "input",
        location: { file: label },
        fix: "give the schema only, as `wrangler d1 export <db> --remote --no-data --output=<file.sql>` writes it",
      });
    }
  }

  /** Names of migrations the database records as applied. */
  applied(): Set<string> {
    const kept = this.master?.rowsOf(this.migrationsTable);
    if (kept) {
      const at = kept.columns.indexOf("name") + 1;
      return new Set(kept.rows.map((r) => String(r[at])));
    }
    const rows = this.db.prepare(`SELECT name FROM ${quoteIdent(this.migrationsTable)}`).all() as { name: string }[];
    return new Set(rows.map((r) => r.name));
  }

  /** Whether `table` existed before the file last applied (without copying the table list per file). */
  existedBeforeFile(table: string): boolean {
    return this.beforeFile.get(lc(table)) ?? this.tables.has(lc(table));
  }

  private noteBefore(name: string): void {
    if (!this.beforeFile.has(name)) this.beforeFile.set(name, this.tables.has(name));
  }

  /** Tables with a foreign key to `parent`. */
  childrenOf(parent: string): Table[] {
    return [...(this.children.get(lc(parent)) ?? [])].flatMap((c) => this.tables.get(c) ?? []);
  }

  applyFile(
    name: string,
    statements: readonly SqlStatement[],
    unterminatedFrom = Number.POSITIVE_INFINITY,
  ): FileOutcome {
    this.beforeFile.clear();
    this.enterFile(statements);
    let out: FileOutcome;
    try {
      out = this.replayFile(name, statements, unterminatedFrom);
      const part = this.part;
      if (part && this.master) {
        this.master.writeBack(part, this.events);
        // A part that holds the migrations table had the row written by SQL in replayFile.
        const inPart = part.keys.has(MasterSchema.tableKey(this.migrationsTable));
        if (!inPart && this.master.migrationRecorded(this.migrationsTable, name))
          noteRecordClash(out.statements, statements, name, this.migrationsTable);
        else if (!inPart) this.recordInMaster(name);
      }
    } finally {
      this.part?.db.close();
      this.part = undefined;
    }
    if (this.twin) this.compareWithTwin(name, statements, unterminatedFrom, out);
    return out;
  }

  /** The whole database between files, as text (built from the master for subset replay). */
  private dump(): string {
    if (!this.master) return this.whole ? dumpDatabase(this.whole) : "";
    const copy = this.master.build(this.master.all()).db;
    try {
      return dumpDatabase(copy);
    } finally {
      copy.close();
    }
  }

  /** Subset replay: copies what the file can touch into a fresh database (or everything, when that is not certain). */
  private enterFile(statements: readonly SqlStatement[]): void {
    const master = this.master;
    if (!master) return;
    const plan = planFile(statements);
    this.events = [];
    if (plan === "whole") {
      // State outside the schema (a PRAGMA, a TEMP object, an ATTACH, a virtual table) from here on: one database.
      this.whole = master.build(master.all()).db;
      this.master = undefined;
      return;
    }
    const keys = plan === "all" ? master.all() : master.closure(plan.names, plan.writes, plan);
    this.part = master.build(keys);
  }

  private recordInMaster(name: string): void {
    if (this.master?.recordMigration(this.migrationsTable, name)) return;
    throw new Error(`no such table: ${this.migrationsTable}`);
  }

  /** `verify`: the whole-database replay of the same file must give the same outcome and schema model. */
  private compareWithTwin(
    name: string,
    statements: readonly SqlStatement[],
    unterminatedFrom: number,
    out: FileOutcome,
  ): void {
    const twin = this.twin;
    if (!twin) return;
    const expected = twin.applyFile(name, statements, unterminatedFrom);
    // Outcomes, schema model, and the whole database: every object in order and every row, until a file writes
    // values that differ between any two replays, even of one engine.
    if (statements.some((s) => NONDETERMINISTIC.test(s.sql))) this.twinRowsDiverge = true;
    const rows = (r: Replayer) => (this.twinRowsDiverge ? [] : r.dump());
    const a = JSON.stringify([out, modelOf(this), rows(this)]);
    const b = JSON.stringify([expected, modelOf(twin), rows(twin)]);
    if (a === b) return;
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    throw new Error(
      `subset replay differs from whole replay after ${name}: …${a.slice(Math.max(0, at - 80), at + 120)}… vs …${b.slice(Math.max(0, at - 80), at + 120)}…`,
    );
  }

  /** The file's statements in one transaction, then the migrations table row; on a deferred FK failure, again without FKs. */
  private replayFile(name: string, statements: readonly SqlStatement[], unterminatedFrom: number): FileOutcome {
    const db = this.db;
    db.exec("BEGIN");
    const outcomes: StatementOutcome[] = [];
    for (const stmt of statements) {
      if (!db.inTransaction) db.exec("BEGIN");
      outcomes.push(this.applyStatement(stmt, stmt.offset + stmt.sql.length > unterminatedFrom));
    }
    if (!db.inTransaction) db.exec("BEGIN");
    if (!this.insertApplied(name)) noteRecordClash(outcomes, statements, name, this.migrationsTable);
    const foreignKeyViolations = this.trackRows ? this.foreignKeyCheck() : [];
    const rowsAfter: Record<string, number> = {};
    if (this.trackRows)
      // Tables dropped or renamed away and present again at the end: the two shapes of a rebuild.
      for (const o of outcomes)
        if ((o.verb === "drop-table" || o.verb === "alter-table") && o.target && this.tables.has(lc(o.target)))
          rowsAfter[lc(o.target)] = this.countRows(o.target);
    try {
      db.exec("COMMIT");
    } catch {
      // Deferred foreign keys failed at COMMIT (D1 would reject the file). Keep going without them so later
      // files are still analysed: the violations are already reported above.
      db.exec("ROLLBACK");
      this.events = [];
      db.pragma("foreign_keys = OFF");
      db.exec("BEGIN");
      for (const stmt of statements) {
        try {
          const info = describeStatement(stmt.sql);
          if (info.verb !== "transaction") {
            db.prepare(stmt.sql).run();
            this.noteEvent(info);
          }
        } catch {
          // already reported by the first pass
        }
      }
      this.insertApplied(name);
      db.exec("COMMIT");
      db.pragma("foreign_keys = ON");
    }
    this.dropStubs();
    return { statements: outcomes, foreignKeyViolations, rowsAfter };
  }

  /**
   * The migrations table row, written by SQL unless subset replay keeps that table in JS for this file. False when a
   * migration already wrote that name there: wrangler's own insert then fails on the table's UNIQUE name.
   */
  private insertApplied(name: string): boolean {
    const part = this.part;
    if (part && !part.keys.has(MasterSchema.tableKey(this.migrationsTable))) return true;
    const table = quoteIdent(this.migrationsTable);
    if (this.db.prepare(`SELECT 1 FROM ${table} WHERE name = ?`).get(name) !== undefined) return false;
    this.db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).run(name);
    return true;
  }

  /** Drops and renames, in order, so subset replay can tell a renamed object from a new one in SQLite's place. */
  private noteEvent(info: StatementInfo): void {
    if (!this.part || !info.target) return;
    const drop = /^drop-(table|view|index|trigger)$/.exec(info.verb)?.[1];
    if (drop) this.events.push({ drop: drop as "table", name: info.target });
    else if (info.verb === "alter-table" && info.table) this.events.push({ rename: info.target, to: info.table });
  }

  private foreignKeyCheck(): ForeignKeyViolation[] {
    const rows = this.db.prepare("PRAGMA foreign_key_check").all() as FkRow[];
    const byKey = new Map<string, ForeignKeyViolation>();
    for (const r of rows) {
      const k = `${r.table}->${r.parent}`;
      const v = byKey.get(k);
      if (v) v.count++;
      else byKey.set(k, { table: r.table, rowid: r.rowid, parent: r.parent, count: 1 });
    }
    return [...byKey.values()];
  }

  private applyStatement(stmt: SqlStatement, unterminated: boolean): StatementOutcome {
    const info = describeStatement(stmt.sql);
    const reserved = info.tokens.find((t, i) => {
      if (t.kind !== "word" && t.kind !== "ident") return false;
      const n = lc(t.value);
      if (n === lc(this.migrationsTable) || /^_cf_\w/.test(n)) return true;
      // sqlite_version() and friends are functions; `INTO sqlite_sequence (…)` is a table.
      const call = info.tokens[i + 1]?.value === "(" && !TABLE_CONTEXT.has(info.tokens[i - 1]?.value ?? "");
      return /^sqlite_\w/.test(n) && !call;
    })?.value;
    const out: StatementOutcome = {
      verb: info.verb,
      target: info.target,
      hasWhere: info.hasWhere,
      insertSelect: info.insertSelect,
      reserved,
      changes: [],
      rowsChanged: 0,
      rowLoss: [],
      cascades: [],
      blockers: [],
    };
    if (unterminated) {
      out.skipped = "unterminated";
      return out;
    }
    if (info.verb === "transaction") {
      out.skipped = "transaction";
      return out;
    }
    const named = this.stubs.length > 0 ? namedIn(info) : undefined;
    const stub = named && this.stubs.find((t) => named.has(lc(t)));
    if (stub !== undefined) {
      // The stand-in is for other tables' keys only: a statement on the table itself fails, as on a fresh database.
      out.error = { message: `no such table: ${stub}`, line: stmt.line, code: "SQLITE_ERROR" };
      return out;
    }
    if (info.verb === "drop-table" && info.target)
      out.cascades = this.cascadeTargets(info.target, out.blockers).map(({ nonNull: _, ...c }) => c);
    // DELETE without WHERE empties the table just as DROP's implicit DELETE does: the same keys block it.
    else if (info.verb === "delete" && !info.hasWhere && info.target) this.cascadeTargets(info.target, out.blockers);
    const watch =
      this.trackRows && DELETING_VERBS.has(info.verb) && info.target ? this.cascadeTargets(info.target) : [];
    const counts = watch.map((w) => this.countRows(w.table, w.nonNull));
    const beforeDrop = info.verb === "drop-table" && info.target ? this.tables.get(lc(info.target)) : undefined;
    if (this.trackRows && beforeDrop) out.droppedRows = this.countRows(beforeDrop.name);
    if ((info.verb === "insert" || info.verb === "replace") && info.insertSelect && info.target)
      out.starCopy = starCopy(this.db, stmt.sql, info.tokens, info.target);
    if (!this.run(stmt, info, out)) return out;
    watch.forEach((w, i) => {
      const before = counts[i] ?? 0;
      const after = this.countRows(w.table, w.nonNull);
      if (before > after)
        out.rowLoss.push({
          table: w.table,
          rows: before - after,
          action: w.action,
          path: w.path,
          fk: w.fk,
          columns: w.columns,
        });
    });
    if (SCHEMA_VERBS.has(info.verb))
      out.changes = this.observe(info.verb, info.target, info.table, beforeDrop).map((c) => ({
        ...c,
        line: stmt.line,
      }));
    return out;
  }

  /**
   * Runs the statement, filling `out` with its rows changed, or its error; false when it did not run. A statement
   * that fails only for want of parents made outside the migrations runs on stand-ins (see `runWithParentStubs`).
   */
  private run(stmt: SqlStatement, info: StatementInfo, out: StatementOutcome): boolean {
    try {
      out.rowsChanged = this.db.prepare(stmt.sql).run().changes;
    } catch (err) {
      const e = err as Error & { code?: string };
      const error = { message: e.message, line: errorLine(stmt, e.message), code: e.code };
      const past = this.runPastBroken(stmt, e.message);
      if (past) {
        // A later ALTER that meets the same broken view: one cause, reported once, at its first victim.
        if (past.error === undefined) {
          out.freshError = error;
          out.rowsChanged = past.changes;
          this.noteEvent(info);
          return true;
        }
        out.error = { ...past.error, line: errorLine(stmt, past.error.message) };
        return false;
      }
      const stubbed = this.runWithParentStubs(stmt, info, e.message);
      if (!stubbed) {
        out.error = error;
        return false;
      }
      // A fresh database fails here; production has the parents, so the statement's effect is replayed.
      out.freshError = error;
      out.rowsChanged = stubbed.changes;
      out.stubbedParents = stubbed.parents;
    }
    this.noteEvent(info);
    return true;
  }

  /**
   * An ALTER that SQLite rejects because a view or trigger was already broken before it ("error in view v: no such
   * table: main.u", not "… after drop column"): every later ALTER would fail the same way, for one cause. The first
   * victim of each such view is reported as it is (undefined here). Later ones run again with the view set aside and
   * put back: their own failure (an indexed column, say) is theirs to report, and their success is production's
   * effect. Undefined when the failure is another one.
   */
  private runPastBroken(
    stmt: SqlStatement,
    message: string,
  ): { changes: number; error?: { message: string; code?: string } } | undefined {
    const name = /^error in (?:view|trigger) (\S+): /.exec(message)?.[1];
    if (!name) return undefined;
    if (!this.brokenReported.has(lc(name))) {
      this.brokenReported.add(lc(name));
      return undefined;
    }
    const db = this.db;
    const broken = db
      .prepare("SELECT type, sql FROM sqlite_master WHERE lower(name) = ? AND type IN ('view', 'trigger')")
      .get(lc(name)) as { type: string; sql: string | null } | undefined;
    if (!broken?.sql) return undefined;
    db.exec("SAVEPOINT blastwall_broken");
    try {
      db.exec(`DROP ${broken.type.toUpperCase()} ${quoteIdent(name)}`);
      const { changes } = db.prepare(stmt.sql).run();
      // A broken view is stored as written; put it back, for whatever later files do with it, if SQLite takes it.
      try {
        db.exec(broken.sql);
      } catch {
        // Left out: it could not run anyway.
      }
      db.exec("RELEASE blastwall_broken");
      return { changes };
    } catch (err) {
      db.exec("ROLLBACK TO blastwall_broken");
      db.exec("RELEASE blastwall_broken");
      const e = err as Error & { code?: string };
      return { changes: 0, error: { message: e.message, ...(e.code ? { code: e.code } : {}) } };
    }
  }

  /**
   * A statement that failed only because a foreign-key parent made outside the migrations is missing (SQLite looks
   * the parent up for every write to the child, and for a DROP's implicit DELETE): run it again with empty stand-ins
   * for those parents, kept until the file commits, so the rebuilds and copies production runs leave their schema.
   * Undefined (and nothing changed) when the statement names the parent itself or still fails.
   */
  private runWithParentStubs(
    stmt: SqlStatement,
    info: StatementInfo,
    message: string,
  ): { changes: number; parents: string[] } | undefined {
    const named = namedIn(info);
    const db = this.db;
    const parents: string[] = [];
    db.exec("SAVEPOINT blastwall_stub");
    try {
      let error = message;
      for (let round = 0; round < 8; round++) {
        const missing = /^no such table: main\.(\S+)$/.exec(error)?.[1];
        if (!missing || named.has(lc(missing)) || parents.some((p) => lc(p) === lc(missing))) break;
        const stub = parentStub(missing, this.childrenOf(missing));
        if (!stub) break;
        db.exec(stub);
        parents.push(missing);
        try {
          const result = db.prepare(stmt.sql).run();
          db.exec("RELEASE blastwall_stub");
          this.stubs.push(...parents);
          return { changes: result.changes, parents };
        } catch (err) {
          error = (err as Error).message;
        }
      }
    } catch {
      // A stand-in SQLite rejects: give up on it, as below.
    }
    db.exec("ROLLBACK TO blastwall_stub");
    db.exec("RELEASE blastwall_stub");
    return undefined;
  }

  /**
   * Drops the file's stand-ins once it is committed, with foreign keys off: dropping one with them on runs a DELETE
   * whose cascades need the others.
   */
  private dropStubs(): void {
    if (this.stubs.length === 0) return;
    const db = this.db;
    db.pragma("foreign_keys = OFF");
    for (const p of this.stubs) db.exec(`DROP TABLE IF EXISTS ${quoteIdent(p)}`);
    db.pragma("foreign_keys = ON");
    this.stubs = [];
  }

  /**
   * Every table a delete on `table` can reach through ON DELETE CASCADE / SET NULL / SET DEFAULT, breadth first.
   * The NO ACTION / RESTRICT keys met on the way (other than a table's key to itself) go to `blockers`.
   */
  private cascadeTargets(table: string, blockers?: Cascade[]): Watch[] {
    const out: Watch[] = [];
    const seen = new Set([lc(table)]);
    const queue: { name: string; path: string[] }[] = [{ name: table, path: [table] }];
    while (queue.length > 0) {
      const cur = queue.shift();
      if (!cur) break;
      for (const child of this.childrenOf(cur.name)) {
        for (const fk of child.foreignKeys) {
          if (lc(fk.table) !== lc(cur.name)) continue;
          const path = [...cur.path, child.name];
          const edge = {
            table: child.name,
            action: fk.onDelete,
            path,
            fk: `${child.name}(${fk.from.join(", ")}) → ${fk.table}(${fk.to.join(", ") || "rowid"}) ON DELETE ${fk.onDelete}`,
            columns: fk.from,
          };
          if (fk.onDelete === "NO ACTION" || fk.onDelete === "RESTRICT") {
            if (lc(child.name) !== lc(cur.name)) blockers?.push(edge);
            continue;
          }
          out.push({ ...edge, nonNull: fk.onDelete === "CASCADE" ? undefined : fk.from });
          if (fk.onDelete === "CASCADE" && !seen.has(lc(child.name))) {
            seen.add(lc(child.name));
            queue.push({ name: child.name, path });
          }
        }
      }
    }
    return out;
  }

  /** Rows in `table`, or only those whose `nonNull` columns are all set (links a SET NULL would clear). */
  private countRows(table: string, nonNull?: string[]): number {
    const where = nonNull ? ` WHERE ${nonNull.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(" AND ")}` : "";
    try {
      const r = this.db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)}${where}`).get() as { n: number };
      return r.n;
    } catch {
      return 0;
    }
  }

  /** Re-reads what the statement can have changed and returns the difference. */
  private observe(
    verb: StatementVerb,
    target: string | undefined,
    other: string | undefined,
    dropped: Table | undefined,
  ): Change[] {
    const changes: Change[] = [];
    if (verb === "create-view" || verb === "drop-view" || verb === "create-trigger" || verb === "drop-trigger")
      return this.observeObjects(verb, target);
    if (!target) return changes;
    if (verb === "drop-table") {
      const after = readTable(this.db, target);
      if (dropped && !after) {
        this.forget(dropped.name);
        changes.push({ kind: "drop-table", table: dropped.name, before: dropped });
      }
      return changes;
    }
    if (verb === "alter-table" && other) {
      const before = this.tables.get(lc(target));
      const after = readTable(this.db, other);
      if (before && after && !readTable(this.db, target)) {
        this.forget(before.name);
        this.store(after);
        changes.push({ kind: "rename-table", table: after.name, from: before.name, before });
        // SQLite rewrites the children's REFERENCES to the new name; follow it silently.
        for (const childName of this.children.get(lc(before.name)) ?? []) {
          const child = readTable(this.db, childName);
          if (child) this.store(child);
        }
        return changes;
      }
    }
    const tableName =
      verb === "drop-index"
        ? (this.indexOwner.get(lc(target)) ?? target)
        : verb === "create-index"
          ? (other ?? target)
          : target;
    const before = this.tables.get(lc(tableName));
    const after = readTable(this.db, tableName);
    if (!before && after) changes.push({ kind: "create-table", table: after.name, after });
    else if (before && after)
      changes.push(...diffTable(before, after, { pairRenames: verb === "alter-table" ? "always" : "never" }));
    if (after) this.store(after);
    else if (before) this.forget(before.name);
    return changes;
  }

  /** Views and triggers: look up only the named object, so a long history of triggers stays linear. */
  private observeObjects(verb: StatementVerb, name: string | undefined): Change[] {
    if (!name) return [];
    const type = verb.endsWith("view") ? "view" : "trigger";
    const key = `${type}:${lc(name)}`;
    const row = readObject(this.db, type, name);
    const had = this.objects.get(key);
    if (row && !had) {
      this.objects.set(key, row);
      return [{ kind: type === "view" ? "create-view" : "create-trigger", table: row.table, name: row.name }];
    }
    if (!row && had) {
      this.objects.delete(key);
      return [{ kind: type === "view" ? "drop-view" : "drop-trigger", table: had.table, name: had.name }];
    }
    return [];
  }

  private refresh(name: string): void {
    const t = readTable(this.db, name);
    if (t) this.store(t);
  }

  private store(t: Table): void {
    this.noteBefore(lc(t.name));
    const old = this.tables.get(lc(t.name));
    if (old) this.unlink(old);
    this.tables.set(lc(t.name), t);
    for (const ix of t.indexes) this.indexOwner.set(lc(ix.name), lc(t.name));
    for (const fk of t.foreignKeys) {
      const set = this.children.get(lc(fk.table)) ?? new Set<string>();
      set.add(lc(t.name));
      this.children.set(lc(fk.table), set);
    }
  }

  private unlink(t: Table): void {
    for (const ix of t.indexes) this.indexOwner.delete(lc(ix.name));
    for (const fk of t.foreignKeys) this.children.get(lc(fk.table))?.delete(lc(t.name));
  }

  private forget(name: string): void {
    this.noteBefore(lc(name));
    const old = this.tables.get(lc(name));
    if (old) this.unlink(old);
    this.tables.delete(lc(name));
    // Triggers die with their table.
    for (const [k, o] of this.objects) if (o.type === "trigger" && lc(o.table) === lc(name)) this.objects.delete(k);
  }

  /**
   * Runs `use` on a database holding everything the history left (between files only): the replay's own in whole
   * replay, else one built from the master for the call.
   */
  withFinalSchema<T>(use: (db: Database.Database) => T): T {
    if (this.whole) return use(this.whole);
    if (!this.master) throw new Error("replayer: no schema kept");
    const built = this.master.build(this.master.all());
    try {
      return use(built.db);
    } finally {
      built.db.close();
    }
  }

  close(): void {
    this.part?.db.close();
    this.whole?.close();
    this.twin?.close();
  }
}

interface Watch extends Cascade {
  /** For SET NULL / SET DEFAULT: count rows whose link is still set. */
  nonNull: string[] | undefined;
}

/** Points a SQLite error at the line of the token it names ("near \"FRM\": syntax error"), else the statement's line. */
export function errorLine(stmt: SqlStatement, message: string): number {
  const near = /near "([^"]+)"/.exec(message)?.[1];
  if (near) {
    const at = stmt.sql.indexOf(near);
    if (at >= 0) {
      let line = stmt.line;
      for (let i = 0; i < at; i++) if (stmt.sql.charCodeAt(i) === 10) line++;
      return line;
    }
  }
  return stmt.line;
}

/** Statements that change no row of an existing table (so no foreign key action or check can fire). */
const SCHEMA_ONLY = new Set<StatementVerb>([
  "create-table",
  "create-index",
  "create-view",
  "create-trigger",
  "drop-index",
  "drop-view",
  "drop-trigger",
  "alter-table",
  "select",
  "pragma",
  "transaction",
]);
/** Statements that write rows to their target table. */
const WRITE_VERBS = new Set<StatementVerb>(["insert", "replace", "update", "delete", "drop-table"]);
const KEPT_PRAGMAS = new Set(["foreign_keys", "defer_foreign_keys"]);
const CONNECTION_WORDS = new Set(["ATTACH", "DETACH", "ANALYZE"]);

/**
 * How subset replay runs a file: on the closure of the names its statements spell (a superset of what they touch;
 * with every view and trigger when it renames or drops a column, since SQLite re-checks them all), on a copy of
 * everything ("all": statements that read sqlite_* or pragma_* see the whole schema; VACUUM, REINDEX), or on one
 * database from then on ("whole": a PRAGMA or TEMP object or ATTACH keeps state on the connection; a virtual table
 * brings shadow tables).
 */
function planFile(statements: readonly SqlStatement[]): FilePlan | "all" | "whole" {
  const names = new Set<string>();
  const writes = new Set<string>();
  const updates = new Updates();
  let all = false;
  let writesRows = false;
  let schemaWide = false;
  for (const stmt of statements) {
    const tokens = tokenize(stmt.sql, Number.POSITIVE_INFINITY);
    const words = tokens.filter((t) => t.kind === "word").map((t) => t.value);
    const first = words[0] ?? "";
    const info = describeStatement(stmt.sql);
    if (info.verb === "pragma" && !KEPT_PRAGMAS.has(lc(info.target ?? ""))) return "whole";
    if (CONNECTION_WORDS.has(first) || info.verb === "create-virtual-table") return "whole";
    const temp = tokens.some(
      (t, i) =>
        t.kind === "word" &&
        (t.value === "TEMP" || t.value === "TEMPORARY") &&
        ((i === 1 && first === "CREATE") || tokens[i + 1]?.value === "."),
    );
    if (temp) return "whole";
    if (first === "VACUUM" || first === "REINDEX") all = true;
    if (!SCHEMA_ONLY.has(info.verb)) writesRows = true;
    const spelled = namesIn(stmt.sql);
    // A statement this reading cannot place may write to anything it names.
    // A trigger made here may fire here and write to anything its body names, as may a statement this reading cannot place.
    if (info.verb === "other" || info.verb === "create-trigger" || (WRITE_VERBS.has(info.verb) && !info.target))
      for (const n of spelled) updates.write(writes, n);
    else if (WRITE_VERBS.has(info.verb) && info.target)
      updates.write(writes, lc(info.target), info.verb === "update" ? updatedColumns(tokens) : undefined);
    if (info.verb === "alter-table" && words.some((w) => w === "RENAME" || w === "DROP")) schemaWide = true;
    for (const n of spelled) {
      if (n.startsWith("sqlite_") || n.startsWith("pragma_")) all = true;
      names.add(n);
    }
  }
  return all ? "all" : { names, writes, writesRows, schemaWide, updatesOnly: updates.only() };
}

interface FilePlan extends ClosureOptions {
  names: Set<string>;
  writes: Set<string>;
}

/** Which written tables a file writes only by plain UPDATEs, and the columns those assign. */
class Updates {
  private readonly assigned = new Map<string, Set<string>>();
  private readonly otherwise = new Set<string>();

  /** Notes a write to `table`: by an UPDATE assigning `columns`, or (undefined) by anything else. */
  write(writes: Set<string>, table: string, columns?: ReadonlySet<string>): void {
    writes.add(table);
    if (!columns) {
      this.otherwise.add(table);
      return;
    }
    const set = this.assigned.get(table) ?? new Set<string>();
    for (const c of columns) set.add(c);
    this.assigned.set(table, set);
  }

  only(): Map<string, Set<string>> {
    return new Map([...this.assigned].filter(([t]) => !this.otherwise.has(t)));
  }
}

/** The replayer's schema model, for comparing two replays. */
function modelOf(r: Replayer): unknown {
  return [...r.tables.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Creates a replayer on a fresh in-memory SQLite (or on `db`, for data replay). */
export function createReplayer(options: ReplayerOptions = {}): Replayer {
  return new Replayer(options);
}

/** Lower-cased names a statement's tokens carry. */
function namedIn(info: StatementInfo): Set<string> {
  return new Set(info.tokens.flatMap((t) => (t.kind === "word" || t.kind === "ident" ? [lc(t.value)] : [])));
}

/**
 * An empty stand-in for a missing foreign-key parent, from the keys its `children` declare: the columns they name in
 * it, each key unique, and `id` as the primary key that keys naming no column point at. Undefined when none does.
 */
function parentStub(parent: string, children: readonly Table[]): string | undefined {
  const fks = children.flatMap((c) => c.foreignKeys.filter((fk) => lc(fk.table) === lc(parent)));
  // A composite key naming no column points at a composite primary key: no stand-in can guess it.
  if (fks.length === 0 || fks.some((fk) => fk.to.length === 0 && fk.from.length > 1)) return undefined;
  const keys = fks.map((fk) => fk.to);
  const columns = [...new Set(keys.flat())].filter((c) => lc(c) !== "id");
  const unique = keys.filter((k) => k.length > 0 && !(k.length === 1 && lc(k[0] ?? "") === "id"));
  const defs = [
    `"id" PRIMARY KEY`,
    ...columns.map(quoteIdent),
    ...unique.map((k) => `UNIQUE (${k.map(quoteIdent).join(", ")})`),
  ];
  return `CREATE TABLE ${quoteIdent(parent)} (${defs.join(", ")})`;
}
