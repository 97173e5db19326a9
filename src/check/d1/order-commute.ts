import Database from "better-sqlite3";
import { createReplayer } from "../sql/replay.js";
import { quoteIdent } from "../sql/schema.js";
import { type SqlStatement, splitStatements } from "../sql/split.js";
import { type MigrationsDir, migrationPath, readMigration } from "./migrations.js";

/** Two files of a folder, `first` before `second` in apply order. */
export interface OrderPair {
  first: string;
  second: string;
  /**
   * The other order of the files from `first` to `second`, when it is not `second` moved first: the order a
   * database that applied them as they arrived ran them in.
   */
  order?: readonly string[];
  /** The order `order` is compared with, when it is not name order. */
  baseline?: readonly string[];
  /** How messages name the two orders, when they are not "in name order" and "with `second` first". */
  labels?: { baseline: string; order: string };
}

/** Whether running `second` before `first` gives the same database as the apply order, and if not, what differs. */
export type PairVerdict =
  | { commutes: true }
  | {
      commutes: false;
      /** `columns`: the only difference is the order of a table's columns (positional SQL sees it). */
      kind: "fails" | "schema" | "columns" | "rows";
      difference: string;
      /** A statement fails in both orders (not the same one): the history fails whatever the order. */
      bothFail?: true;
      /** A statement fails only in the pair's `order` (`labels.order`), the one no other rule replays. */
      failsOnlyInOrder?: true;
    };

interface Parsed {
  statements: SqlStatement[];
  firstProblem: number;
}

interface Failure {
  file: string;
  line: number;
  message: string;
}

/** What a database holds after an order: failed statements, schema objects, columns, rows. */
interface State {
  failures: Failure[];
  /** `table orders` → its SQL, whitespace collapsed. */
  objects: Map<string, string>;
  /** Table → its columns as `PRAGMA table_xinfo` gives them, in order. */
  columns: Map<string, string[]>;
  /** Table → its rows, sorted (nondeterministic ones are dropped by the caller). */
  rows: Map<string, string>;
}

const lc = (s: string) => s.toLowerCase();
const squash = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim();
const short = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}…` : s);

function parse(dir: Pick<MigrationsDir, "dir">, name: string): Parsed {
  const read = readMigration(migrationPath(dir, name));
  if (read.unreadable !== undefined) return { statements: [], firstProblem: Number.POSITIVE_INFINITY };
  const split = splitStatements(read.text);
  return { statements: split.statements, firstProblem: split.problems[0]?.offset ?? Number.POSITIVE_INFINITY };
}

function readState(db: Database.Database, migrationsTable: string, failures: Failure[]): State {
  const own = (name: string) => lc(name) === lc(migrationsTable);
  const objects = new Map<string, string>();
  const columns = new Map<string, string[]>();
  const rows = new Map<string, string>();
  const all = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  for (const o of all) {
    if (own(o.tbl_name)) continue;
    objects.set(`${o.type} ${o.name}`, squash(o.sql));
    if (o.type !== "table") continue;
    const t = quoteIdent(o.name);
    const info = db.prepare(`PRAGMA table_xinfo(${t})`).all() as { cid: number; name: string }[];
    columns.set(
      o.name,
      info.map(({ cid: _, ...c }) => JSON.stringify(c)),
    );
    if (/^CREATE VIRTUAL/i.test(o.sql ?? "")) continue;
    const data = (db.prepare(`SELECT * FROM ${t}`).raw().all() as unknown[][]).map((r) => JSON.stringify(r));
    rows.set(o.name, data.sort().join("\n"));
  }
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get()) {
    const seq = (db.prepare("SELECT name, seq FROM sqlite_sequence").all() as { name: string; seq: number }[])
      .filter((r) => !own(r.name))
      .map((r) => `${r.name}=${r.seq}`);
    rows.set("sqlite_sequence", seq.sort().join("\n"));
  }
  return { failures, objects, columns, rows };
}

/** Runs `order` on a copy of `image` (the history before the pair) and reads the database it leaves. */
function runOrder(
  image: Buffer,
  order: readonly string[],
  parsed: (name: string) => Parsed,
  migrationsTable: string,
): State {
  const replayer = createReplayer({ db: new Database(image), migrationsTable });
  try {
    const failures: Failure[] = [];
    for (const name of order) {
      const { statements, firstProblem } = parsed(name);
      const out = replayer.applyFile(name, statements, firstProblem);
      for (const o of out.statements)
        if (o.error) failures.push({ file: name, line: o.error.line, message: o.error.message });
    }
    return readState(replayer.db, migrationsTable, failures);
  } finally {
    replayer.close();
  }
}

const failureKey = (f: Failure) => `${f.file}:${f.line}:${f.message}`;
const columnNames = (cols: readonly string[]) => cols.map((c) => (JSON.parse(c) as { name: string }).name).join(", ");

/** The first way the two databases differ, in words; undefined when they are the same. */
function compare(inOrder: State, swapped: State, pair: OrderPair, rerun: () => State): PairVerdict {
  const swappedLabel = pair.labels?.order ?? `with ${pair.second} first`;
  const nameLabel = pair.labels?.baseline ?? "in name order";
  const a = new Set(inOrder.failures.map(failureKey));
  const b = new Set(swapped.failures.map(failureKey));
  const onlySwapped = swapped.failures.filter((f) => !a.has(failureKey(f)));
  const onlyInOrder = inOrder.failures.filter((f) => !b.has(failureKey(f)));
  if (onlySwapped.length > 0 || onlyInOrder.length > 0) {
    const say = (f: Failure) => `${f.file} fails at line ${f.line}: ${f.message}`;
    const parts = [
      ...onlySwapped.slice(0, 1).map((f) => `${swappedLabel}, ${say(f)}`),
      ...onlyInOrder.slice(0, 1).map((f) => `${nameLabel}, ${say(f)}`),
    ];
    const bothFail = inOrder.failures.length > 0 && swapped.failures.length > 0;
    return {
      commutes: false,
      kind: "fails",
      difference: parts.join("; "),
      ...(bothFail ? { bothFail } : {}),
      ...(onlySwapped.length > 0 ? { failsOnlyInOrder: true as const } : {}),
    };
  }
  const keys = [...new Set([...inOrder.objects.keys(), ...swapped.objects.keys()])].sort();
  let columnsOnly: string | undefined;
  for (const k of keys) {
    const x = inOrder.objects.get(k);
    const y = swapped.objects.get(k);
    if (x === y) continue;
    if (x === undefined || y === undefined)
      return {
        commutes: false,
        kind: "schema",
        difference: `${k} exists ${x === undefined ? swappedLabel : nameLabel} only`,
      };
    const table = k.startsWith("table ") ? k.slice("table ".length) : undefined;
    const cx = table === undefined ? undefined : inOrder.columns.get(table);
    const cy = table === undefined ? undefined : swapped.columns.get(table);
    // Same columns and the same clauses, only in another order: what two ADD COLUMNs in either order leave.
    const parts = (sql: string) =>
      sql
        .split(",")
        .map((p) => p.replace(/\)\s*$/, "").trim())
        .sort()
        .join();
    if (cx && cy && [...cx].sort().join() === [...cy].sort().join() && parts(x) === parts(y)) {
      columnsOnly ??= `table ${table} has its columns in another order: (${columnNames(cx)}) ${nameLabel}, (${columnNames(cy)}) ${swappedLabel}`;
      continue;
    }
    return {
      commutes: false,
      kind: "schema",
      difference:
        cx && cy
          ? `${k} differs: columns (${columnNames(cx)}) ${nameLabel}, (${columnNames(cy)}) ${swappedLabel}`
          : `${k} differs: \`${short(x)}\` in name order, \`${short(y)}\` ${swappedLabel}`,
    };
  }
  let again: State | undefined;
  for (const [t, rows] of inOrder.rows) {
    const other = swapped.rows.get(t);
    if (other === undefined || other === rows) continue;
    // Rows that differ between two runs of the same order (random ids, timestamps) say nothing about the order.
    again ??= rerun();
    if (again.rows.get(t) !== rows) continue;
    const count = (s: string) => (s === "" ? 0 : s.split("\n").length);
    return {
      commutes: false,
      kind: "rows",
      difference: `table ${t} holds other rows: ${count(rows)} ${nameLabel}, ${count(other)} ${swappedLabel}${count(rows) === count(other) ? " (same count, other values)" : ""}`,
    };
  }
  if (columnsOnly) return { commutes: false, kind: "columns", difference: columnsOnly };
  return { commutes: true };
}

/**
 * For each pair of files, whether a database that applied `second` before `first` existed ends up like a fresh
 * one: the history before `first` is replayed once (as check replays it), then the files from `first` to `second`
 * run on copies of it in name order and with `second` moved first, and the two databases are compared (failed
 * statements, schema, rows).
 *
 * @example
 * commuteVerdicts(dir, names, [{ first: "0006_a.sql", second: "0006_b.sql" }]).get("0006_a.sql\n0006_b.sql");
 * // { commutes: false, kind: "fails", difference: "with 0006_b.sql first, 0006_b.sql fails at line 1: no such table: t" }
 */
export function commuteVerdicts(
  dir: Pick<MigrationsDir, "dir" | "migrationsTable">,
  names: readonly string[],
  pairs: readonly OrderPair[],
): Map<string, PairVerdict> {
  const out = new Map<string, PairVerdict>();
  if (pairs.length === 0) return out;
  const cache = new Map<string, Parsed>();
  const parsed = (name: string): Parsed => {
    let p = cache.get(name);
    if (!p) {
      p = parse(dir, name);
      cache.set(name, p);
    }
    return p;
  };
  const at = new Map(names.map((n, i) => [n, i]));
  const last = Math.max(...pairs.map((p) => at.get(p.first) ?? -1));
  const history = createReplayer({ migrationsTable: dir.migrationsTable, engine: "whole" });
  try {
    for (let i = 0; i <= last; i++) {
      const name = names[i] ?? "";
      const here = pairs.filter((p) => p.first === name);
      if (here.length > 0) {
        const image = history.db.serialize();
        for (const pair of here) {
          const span = names.slice(i, (at.get(pair.second) ?? i) + 1);
          const inName = () => runOrder(image, pair.baseline ?? span, parsed, dir.migrationsTable);
          const swappedOrder = pair.order ?? [pair.second, ...span.filter((n) => n !== pair.second)];
          const verdict = compare(inName(), runOrder(image, swappedOrder, parsed, dir.migrationsTable), pair, inName);
          out.set(pairKey(pair), verdict);
        }
      }
      if (i === last) break;
      const { statements, firstProblem } = parsed(name);
      history.applyFile(name, statements, firstProblem);
    }
  } finally {
    history.close();
  }
  return out;
}

/** The key of a pair in {@link commuteVerdicts}' result. */
export function pairKey(pair: OrderPair): string {
  return `${pair.first}\n${pair.second}`;
}
