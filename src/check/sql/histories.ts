import { seededRandom } from "../../core/seeded-random.js";

/**
 * Seeded random migration histories for the differential test of the replay engines: adversarial on purpose
 * (renames, rebuilds, foreign keys with every action, views and triggers across tables, drops and re-creates, quoted
 * names, the same name in another case, deferred foreign keys, statements that fail).
 */

/** Table names as a user may spell them: plain, another case of the same name, quoted with spaces or brackets. */
const TABLES = ["users", "Users", "orders", '"order items"', "[audit log]", "`Tags`", "tags", "t1"];
const COLUMNS = ["a", "b", "A", '"the note"', "c1"];
const ACTIONS = ["CASCADE", "SET NULL", "NO ACTION", "RESTRICT", "SET DEFAULT"];
/** Values of every storage class, including a whole REAL, a BLOB and an integer past 2^53. */
const VALUES = ["'x'", "NULL", "2.5", "1.0", "X'00ff'", "9007199254740993", "-0.0", "'1e3'"];

interface HistoryOptions {
  files?: number;
  /** Statements per file, at most. */
  statements?: number;
}

type Pick = <T>(list: readonly T[]) => T;

/** Tables the history has created so far, as spelled (a guess: statements may fail). */
type Live = string[];

/** A table name: mostly one that exists, sometimes any (so statements also fail, and names collide by case). */
function tableOf(pick: Pick, rnd: () => number, live: Live): string {
  return live.length > 0 && rnd() < 0.85 ? pick(live) : pick(TABLES);
}

/** One random statement (or a few that belong together, as a rebuild does). */
function statement(pick: Pick, rnd: () => number, n: number, live: Live): string {
  const t = tableOf(pick, rnd, live);
  const u = tableOf(pick, rnd, live);
  const c = pick(COLUMNS);
  const id = 1 + Math.floor(rnd() * 4);
  const bare = t.replace(/["`[\]]/g, "").replace(/ /g, "_");
  const templates: (() => string)[] = [
    () => {
      // The parent key: its id, its PRIMARY KEY by default, or a plain column (a mismatch once rows are checked).
      const to = pick([" (id)", " (id)", "", " (b)"]);
      const fk =
        rnd() < 0.7 ? `, p_id INTEGER REFERENCES ${u}${to} ON DELETE ${pick(ACTIONS)} ON UPDATE ${pick(ACTIONS)}` : "";
      const auto = rnd() < 0.2 ? " AUTOINCREMENT" : "";
      const tail = !auto && rnd() < 0.15 ? " WITHOUT ROWID" : "";
      const b = rnd() < 0.15 ? "b INTEGER UNIQUE ON CONFLICT REPLACE" : "b INTEGER DEFAULT 0";
      return `CREATE TABLE ${rnd() < 0.3 ? "IF NOT EXISTS " : ""}${t} (id INTEGER PRIMARY KEY${auto}, a TEXT, ${b}${fk})${tail};`;
    },
    () => `INSERT INTO ${t} (id, a, b) VALUES (${id}, 'x${n}', ${id}), (${id + 4}, ${pick(VALUES)}, ${pick(VALUES)});`,
    () => `INSERT INTO ${t} (id, a, p_id) VALUES (${id + 10}, 'c', ${rnd() < 0.3 ? "NULL" : id});`,
    () => `INSERT OR REPLACE INTO ${t} (id, a) VALUES (${id}, 'r');`,
    () => `UPDATE ${t} SET a = 'u${n}' WHERE id = ${id};`,
    () => `UPDATE ${t} SET id = id + 100 WHERE id = ${id};`,
    () => `UPDATE ${t} SET (a, b) = ('v${n}', ${id}) WHERE id = ${id};`,
    () => `UPDATE ${t} SET ${pick(["rowid = rowid + 50", "p_id = NULL", "b = b * 2"])} WHERE id = ${id};`,
    () => `DELETE FROM ${t} WHERE id = ${id};`,
    () => `INSERT INTO ${t} (id, a, b) VALUES (${id + 20}, 'y', 3);\nUPDATE ${t} SET b = b + 1;`,
    () => `DELETE FROM ${t} WHERE id = ${id};`,
    () => `DELETE FROM ${t};`,
    () => `ALTER TABLE ${t} ADD COLUMN ${c}${n} TEXT${rnd() < 0.3 ? ` REFERENCES ${u} (id)` : ` DEFAULT 'd'`};`,
    () => `ALTER TABLE ${t} RENAME TO ${u};`,
    () => `ALTER TABLE ${t} RENAME COLUMN ${c} TO ${pick(COLUMNS)}${n};`,
    () => `ALTER TABLE ${t} DROP COLUMN ${c};`,
    () =>
      `CREATE ${rnd() < 0.4 ? "UNIQUE " : ""}INDEX ${rnd() < 0.3 ? "IF NOT EXISTS " : ""}ix_${bare}_${id} ON ${t} (${c});`,
    () => `DROP INDEX ${rnd() < 0.5 ? "IF EXISTS " : ""}ix_${bare}_${id};`,
    () => `CREATE VIEW v_${bare}_${id} AS SELECT x.id, x.a, y.b FROM ${t} x LEFT JOIN ${u} y ON y.id = x.id;`,
    () => `DROP VIEW ${rnd() < 0.5 ? "IF EXISTS " : ""}v_${bare}_${id};`,
    () =>
      `CREATE TRIGGER trg_${bare}_${id} AFTER ${pick(["INSERT", "DELETE", "UPDATE"])} ON ${t} BEGIN\n  INSERT INTO ${u} (id, a) VALUES (${1000 + n}, 'trg');\n  DELETE FROM ${pick(TABLES)} WHERE id = ${id};\nEND;`,
    () => `DROP TRIGGER ${rnd() < 0.5 ? "IF EXISTS " : ""}trg_${bare}_${id};`,
    () => `DROP TABLE ${rnd() < 0.5 ? "IF EXISTS " : ""}${t};`,
    () =>
      `CREATE TABLE __new_${bare} (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '', b INTEGER, p_id INTEGER REFERENCES ${u} (id) ON DELETE ${pick(ACTIONS)});\nINSERT INTO __new_${bare} (id, a, b) SELECT id, coalesce(a, ''), b FROM ${t};\nDROP TABLE ${t};\nALTER TABLE __new_${bare} RENAME TO ${t};`,
    () =>
      `ALTER TABLE ${t} RENAME TO old_${bare};\nCREATE TABLE ${t} (id INTEGER PRIMARY KEY, a TEXT);\nINSERT INTO ${t} (id, a) SELECT id, a FROM old_${bare};\nDROP TABLE old_${bare};`,
    () => `CREATE TABLE copy_${bare}_${id} AS SELECT * FROM ${t};`,
    () => "PRAGMA defer_foreign_keys = ON;",
    () => "PRAGMA foreign_keys = OFF;",
    () => `SELECT count(*) FROM ${t};`,
  ];
  // Rare statements that force the whole database: state outside the schema, the catalogue read directly.
  const rare = [
    "PRAGMA recursive_triggers = ON;",
    `CREATE TEMP TABLE scratch_${n} (x);`,
    `INSERT INTO ${t} (id, a) SELECT 50 + count(*), 'n' FROM sqlite_schema;`,
  ];
  if (rnd() < 0.02) return pick(rare);
  // Create tables first and more often while there are few.
  if (live.length < 3 || rnd() < 0.12) {
    const name = pick(TABLES.filter((x) => !live.includes(x)).concat(TABLES[0] ?? "users"));
    live.push(name);
    const create = templates[0]?.();
    return create?.replace(/^CREATE TABLE (IF NOT EXISTS )?\S+( \S+)? \(id/, `CREATE TABLE $1${name} (id`) ?? "";
  }
  const sql = pick(templates)();
  if (/^DROP TABLE/.test(sql)) live.splice(live.indexOf(t), 1);
  return sql;
}

/**
 * A seeded random history: file name → SQL, in apply order.
 *
 * @example
 * randomHistory(7); // { "0001.sql": "CREATE TABLE users (…);\nINSERT INTO …", … }
 */
export function randomHistory(
  seed: number,
  { files = 10, statements = 4 }: HistoryOptions = {},
): Record<string, string> {
  const rnd = seededRandom(seed);
  const pick: Pick = (list) => list[Math.floor(rnd() * list.length)] as (typeof list)[number];
  const out: Record<string, string> = {};
  let n = 0;
  const live: Live = [];
  for (let f = 1; f <= files; f++) {
    const parts: string[] = [];
    const count = 1 + Math.floor(rnd() * statements);
    for (let s = 0; s < count; s++) parts.push(statement(pick, rnd, ++n, live));
    out[`${String(f).padStart(4, "0")}_step.sql`] = `${parts.join("\n")}\n`;
  }
  return out;
}
