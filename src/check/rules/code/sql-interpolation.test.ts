import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];
const CONFIG = JSON.stringify({
  name: "shop",
  main: "src/index.ts",
  compatibility_date: "2025-01-01",
  d1_databases: [{ binding: "DB", database_name: "shop" }],
});

/** A Worker whose src/ holds `files` (src/index.ts among them). */
function worker(files: Record<string, string>): string {
  const src = Object.fromEntries(Object.entries(files).map(([k, v]) => [`src/${k}`, v]));
  return writeProject({ "wrangler.json": CONFIG, ...src });
}

const sqlFindings = async (dir: string) =>
  (await findingsOf(dir, analyzers, "code/sql-interpolation")).map((f) => [f.file, f.line, f.severity]);

describe("code/sql-interpolation folds constants across the project's modules", () => {
  it("does not flag constants, as-const objects, enums and constant functions imported from other files", async () => {
    const dir = worker({
      "schema.ts": `export const USERS = "users";
export const COLS = { id: "id", name: "name" } as const;
export enum Sort { Newest = "created_at DESC", Name = "name ASC" }
export function selectList() {
  return ["id", "name", "email"].join(", ");
}
const PRIVATE = "carts";
export { PRIVATE as CARTS };
`,
      "tables.ts": `export * from "./schema.js";\nexport { USERS as PEOPLE } from "./schema.js";\n`,
      "index.ts": `import { COLS, Sort, selectList, USERS } from "./schema.js";
import { CARTS, PEOPLE } from "./tables.js";
import * as schema from "./schema.js";
export async function f(env: Env, id: string) {
  await env.DB.prepare(\`SELECT \${selectList()} FROM \${USERS} WHERE \${COLS.id} = ? ORDER BY \${Sort.Newest}\`).bind(id).all();
  await env.DB.prepare(\`SELECT * FROM \${CARTS} JOIN \${PEOPLE} ON 1 WHERE \${schema.COLS.name} = ?\`).bind(id).all();
  await env.DB.prepare("SELECT * FROM " + schema.USERS + " LIMIT 1").first();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("follows tsconfig paths aliases to the project's files, and flags what they resolve to when it is not constant", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "tsconfig.json": `{\n  // comments are allowed\n  "compilerOptions": { "paths": { "@/*": ["./src/*"] } }\n}\n`,
      "src/lib/sql.ts": `export const TABLE = "users";\nexport function column(c: string) {\n  return c;\n}\n`,
      "src/index.ts": `import { column, TABLE } from "@/lib/sql";
export async function f(env: Env, c: string) {
  await env.DB.prepare(\`SELECT * FROM \${TABLE}\`).all();
  await env.DB.prepare(\`SELECT \${column(c)} FROM t\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 4, "info"]]);
  });

  it("does not flag a module-level const built at load time by map/join over constant tables, but flags one built per request", async () => {
    const dir = worker({
      "index.ts": `const OUTCOMES = { retry: ["timeout", "rate_limited"], fatal: ["invalid"] } as const;
const KIND_CASE = Object.entries(OUTCOMES)
  .map(([kind, list]) => \`WHEN outcome IN (\${list.map((o) => \`'\${o}'\`).join(", ")}) THEN '\${kind}'\`)
  .join("\\n");
export async function f(env: Env, request: Request) {
  await env.DB.prepare(\`SELECT CASE \${KIND_CASE} END AS kind FROM calls\`).all();
  const body = await request.json<{ kinds: string[] }>();
  const perRequest = body.kinds.map((k) => \`'\${k}'\`).join(", ");
  await env.DB.prepare(\`SELECT * FROM calls WHERE kind IN (\${perRequest})\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 9, "error"]]);
  });

  it("still flags an imported value that is not constant", async () => {
    const dir = worker({
      "order.ts": `export function orderBy(q: string) {\n  return q;\n}\nexport let table = "users";\nexport function rename(t: string) {\n  table = t;\n}\n`,
      "index.ts": `import { orderBy, table } from "./order.js";
export async function f(env: Env, q: string) {
  await env.DB.prepare(\`SELECT * FROM t ORDER BY \${orderBy(q)}\`).all();
  await env.DB.prepare(\`SELECT * FROM \${table}\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 3, "info"],
      ["src/index.ts", 4, "info"],
    ]);
  });

  it("does not flag values typed as literals: parameter properties, typed arrays, as-const rows, enums", async () => {
    const dir = worker({
      "types.ts": `export type Field = "chat_used" | "image_used";\n`,
      "index.ts": `import type { Field } from "./types.js";
type Table = "users" | "teams";
const TABLES: Table[] = ["users", "teams"];
const DEFS = [{ name: "id", sql: "id TEXT" }, { name: "n", sql: "n INTEGER" }] as const;
export async function bump(args: { db: D1Database; field: Field; updates: Array<{ field: Field; inc: number }> }) {
  await args.db.prepare(\`UPDATE u SET \${args.field} = \${args.field} + 1\`).run();
  const sets: string[] = [];
  const live = args.updates.map((u) => ({ field: u.field, inc: u.inc })).filter((u) => u.inc > 0);
  for (const u of live) sets.push(\`\${u.field} = \${u.field} + ?\`);
  await args.db.prepare(\`UPDATE u SET \${sets.join(", ")}\`).run();
  for (const t of TABLES) await args.db.prepare(\`DELETE FROM \${t}\`).run();
  for (const d of DEFS) await args.db.prepare(\`ALTER TABLE u ADD COLUMN \${d.sql}\`).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("still flags a cast of request input and a property typed string", async () => {
    const dir = worker({
      "index.ts": `type Sort = "id" | "name";
export default {
  async fetch(request: Request, env: Env) {
    const sort = new URL(request.url).searchParams.get("sort") as Sort;
    await env.DB.prepare(\`SELECT * FROM t ORDER BY \${sort}\`).all();
    return new Response("ok");
  },
};
export async function g(env: Env, opts: { column: string }) {
  await env.DB.prepare(\`SELECT \${opts.column} FROM t\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 5, "error"],
      ["src/index.ts", 10, "info"],
    ]);
  });

  it("does not flag helpers every caller gives constants, nor a WHERE built by a helper from fixed clauses", async () => {
    const dir = worker({
      "insert.ts": `export function insertRows(db: D1Database, table: string, columns: string[]) {
  return db.prepare(\`INSERT INTO \${table} (\${columns.join(", ")}) VALUES (\${columns.map(() => "?").join(", ")})\`);
}
`,
      "index.ts": `import { insertRows } from "./insert.js";
function count(db: D1Database, table: string, upsert = false) {
  return db.prepare(\`INSERT \${upsert ? "OR REPLACE " : ""}INTO \${table} SELECT * FROM \${table}_shadow\`);
}
function buildWhere(o: { from?: string; q?: string }) {
  const conditions: string[] = [];
  if (o.from) conditions.push("created_at >= ?");
  if (o.q) conditions.push("name LIKE ?");
  return { where: conditions.length ? \`WHERE \${conditions.join(" AND ")}\` : "", params: [o.from, o.q] };
}
export async function f(db: D1Database, o: { from?: string; q?: string }, stats: { count(n: number): void }) {
  stats.count(1);
  const tally = { count: 2 };
  count(db, "users");
  count(db, "carts", true);
  insertRows(db, "users", ["id", "name"]);
  insertRows(db, "carts", ["id"]);
  const { where, params } = buildWhere(o);
  await db.prepare("SELECT * FROM logs " + where).bind(...params).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("follows a helper named in the module's own export list (`export { a, b }`) to every importer's call", async () => {
    const dir = worker({
      "logs.js": `async function remove(env, table, id) {
  await env.DB.prepare(\`DELETE FROM \${table} WHERE id = ?\`).bind(id).run();
}
async function insert(env, table, fields, values) {
  const columns = ["student_id", ...fields, "created_at"];
  return env.DB.prepare(\`INSERT INTO \${table} (\${columns.join(",")}) VALUES (\${columns.map(() => "?").join(",")})\`).bind(...values).run();
}
export { remove, insert };
`,
      "index.ts": `import { insert, remove } from "./logs.js";
const TABLE = "dhor_log";
const FIELDS = ["segment_from", "segment_to"];
export async function f(env: Env, id: number, v: unknown[]) {
  await insert(env, TABLE, FIELDS, v);
  await insert(env, "reflections", ["reflection"], v);
  await remove(env, TABLE, id);
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
    const leaky = worker({
      "logs.js": `async function remove(env, table, id) {
  await env.DB.prepare(\`DELETE FROM \${table} WHERE id = ?\`).bind(id).run();
}
export { remove };
`,
      "index.ts": `import { remove } from "./logs.js";
export async function f(env: Env, req: Request) {
  await remove(env, new URL(req.url).searchParams.get("t") ?? "x", 1);
  await remove(env, "dhor_log", 1);
}
`,
    });
    expect(await sqlFindings(leaky)).toEqual([["src/logs.js", 2, "info"]]);
    // Exported under another name: the importers' calls of `del` cannot be matched, so nothing is assumed.
    const renamed = worker({
      "logs.js": `async function remove(env, table, id) {
  await env.DB.prepare(\`DELETE FROM \${table} WHERE id = ?\`).bind(id).run();
}
export { remove as del };
export const tidy = (env) => remove(env, "dhor_log", 1);
`,
      "index.ts": `import { del } from "./logs.js";
export async function f(env: Env, t: string) {
  await del(env, t, 1);
}
`,
    });
    expect(await sqlFindings(renamed)).toEqual([["src/logs.js", 2, "info"]]);
  });

  it("folds a ternary whose taken branch is the value an allow-list check just accepted", async () => {
    const code = (dir: string) => `const ALLOWED_DIRS = ["asc", "desc"];
export async function list(env: Env, request: Request) {
  const url = new URL(request.url);
  const sortDir = ${dir};
  return env.DB.prepare(\`SELECT * FROM logs ORDER BY created_at \${sortDir}\`).all();
}
`;
    const guarded = worker({
      "index.ts": code(
        `ALLOWED_DIRS.includes(url.searchParams.get("dir") || "") ? url.searchParams.get("dir")! : "desc"`,
      ),
    });
    expect(await sqlFindings(guarded)).toEqual([]);
    const negated = worker({
      "index.ts": code(
        `!ALLOWED_DIRS.includes(url.searchParams.get("dir") ?? "") ? "desc" : url.searchParams.get("dir")`,
      ),
    });
    expect(await sqlFindings(negated)).toEqual([]);
    const otherValue = worker({
      "index.ts": code(
        `ALLOWED_DIRS.includes(url.searchParams.get("dir") || "") ? url.searchParams.get("order")! : "desc"`,
      ),
    });
    expect((await sqlFindings(otherValue)).length).toBe(1);
  });

  it("flags a helper as soon as one caller passes something that is not constant", async () => {
    const dir = worker({
      "index.ts": `function count(db: D1Database, table: string) {
  return db.prepare(\`SELECT count(*) FROM \${table}\`);
}
export function f(db: D1Database, name: string) {
  count(db, "users");
  count(db, name);
}
const run = (db: D1Database, column: string) => db.prepare(\`SELECT \${column} FROM t\`);
export const handlers = [run];
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 2, "info"],
      ["src/index.ts", 8, "info"],
    ]);
  });

  it("does not flag keys filtered through an allow-list, nor a predicate every guard helper builds from constants", async () => {
    const dir = worker({
      "guards.ts": `const ACTIVE = '"status" = 1';
interface Guard {
  predicate: string;
  binds: unknown[];
}
export const ALWAYS: Guard = { predicate: "1", binds: [] };
export function underCap(userId: string, max: number): Guard {
  return { predicate: \`(SELECT COUNT(*) FROM m WHERE "userId" = ? AND \${ACTIVE}) < ?\`, binds: [userId, max] };
}
export function both(a: Guard, b: Guard): Guard {
  return { predicate: \`(\${a.predicate}) AND (\${b.predicate})\`, binds: [...a.binds, ...b.binds] };
}
export function insertTeam(db: D1Database, guard: Guard = ALWAYS) {
  return db.prepare(\`INSERT INTO team (id) SELECT ? WHERE \${guard.predicate}\`);
}
`,
      "index.ts": `import { both, insertTeam, underCap } from "./guards.js";
import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
app.patch("/a/:id", async (c) => {
  const patch = (await c.req.json()) as Record<string, unknown>;
  const allowed = ["name", "type"] as const;
  const keys = Object.keys(patch).filter((k) => (allowed as readonly string[]).includes(k));
  const set = keys.map((k) => \`\${k} = ?\`).join(", ");
  await c.env.DB.prepare(\`UPDATE accounts SET \${set} WHERE id = ?\`).bind(...keys.map((k) => patch[k]), c.req.param("id")).run();
  insertTeam(c.env.DB, both(underCap("u", 3), underCap("v", 4)));
  insertTeam(c.env.DB);
  const guard = underCap("u", 5);
  await c.env.DB.prepare(\`INSERT INTO t (id) SELECT ? WHERE \${guard.predicate}\`).bind(1, ...guard.binds).run();
  return c.json({ ok: true });
});
export default app;
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("still flags keys that skip the allow-list and a guard one caller builds from input", async () => {
    const dir = worker({
      "index.ts": `import { Hono } from "hono";
interface Guard {
  predicate: string;
}
function insertTeam(db: D1Database, guard: Guard) {
  return db.prepare(\`INSERT INTO team (id) SELECT ? WHERE \${guard.predicate}\`);
}
const app = new Hono<{ Bindings: Env }>();
app.patch("/a/:id", async (c) => {
  const patch = (await c.req.json()) as Record<string, unknown>;
  const keys = Object.keys(patch).filter((k) => k !== "id");
  await c.env.DB.prepare(\`UPDATE accounts SET \${keys.map((k) => \`\${k} = ?\`).join(", ")} WHERE id = ?\`).run();
  insertTeam(c.env.DB, { predicate: "1" });
  insertTeam(c.env.DB, { predicate: c.req.query("where") ?? "1" });
  return c.json({ ok: true });
});
export default app;
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 6, "info"],
      ["src/index.ts", 12, "error"],
    ]);
  });

  it("does not flag repository fields every constructor call fills with constants, text methods of constants, or env vars", async () => {
    const dir = writeProject({
      "wrangler.json": JSON.stringify({ ...JSON.parse(CONFIG), vars: { TABLE_PREFIX: "app_" } }),
      "src/repo.ts": `export class Repo {
  readonly #order = "created_at DESC";
  private limit = 50;
  constructor(private db: D1Database, private readonly table: string) {}
  list() {
    this.limit = 100;
    return this.db.prepare(\`SELECT * FROM \${this.table} ORDER BY \${this.#order} LIMIT \${this.limit}\`).all();
  }
}
`,
      "src/index.ts": `import { Repo } from "./repo.js";
export function repos(env: Env): Repo[] {
  const marks = "?, ".repeat(3).slice(0, -2);
  env.DB.prepare(\`SELECT * FROM \${env.TABLE_PREFIX}users WHERE id IN (\${marks}) AND \${"a = ?".replace("a", "b")}\`);
  return [new Repo(env.DB, "users"), new Repo(env.DB, "teams")];
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("still flags a public field, a constructor some caller gives input, and a subclass passing through super", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `class Open {
  table = "users";
  constructor(private db: D1Database) {}
  q() {
    return this.db.prepare(\`SELECT * FROM \${this.table}\`);
  }
}
class Repo {
  constructor(private db: D1Database, private table: string) {}
  q() {
    return this.db.prepare(\`SELECT * FROM \${this.table}\`);
  }
}
class Sub extends Repo {
  constructor(db: D1Database, t: string) {
    super(db, t);
  }
}
export function f(env: Env, t: string) {
  return [new Open(env.DB), new Repo(env.DB, "users"), new Sub(env.DB, t)];
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 5, "info"],
      ["src/index.ts", 11, "info"],
    ]);
  });

  it("does not flag columns destructured from a constant list of pairs, but flags a list with a non-constant pair", async () => {
    const dir = worker({
      "index.ts": `export function migrate(db: D1Database, extra: string) {
  const required: Array<[string, string]> = [["slug", "TEXT"], ["plan", "TEXT"]];
  for (const [column, definition] of required) db.exec(\`ALTER TABLE u ADD COLUMN \${column} \${definition}\`);
  for (const { name } of [{ name: "a" }, { name: "b" }]) db.exec(\`ALTER TABLE u ADD COLUMN \${name} TEXT\`);
  const open: Array<[string, string]> = [["slug", extra]];
  for (const [col, def] of open) db.exec(\`ALTER TABLE u ADD COLUMN \${col} \${def}\`);
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 6, "info"]]);
  });

  it("does not flag columns from Object.entries of a constant object literal, but flags one with a request value", async () => {
    const dir = worker({
      "index.ts": `export async function update(db: D1Database, body: Record<string, unknown>, id: string, extra: string) {
  const allowedFields: Record<string, string> = { name: "name", websiteUrl: "website_url" };
  const setClauses: string[] = [];
  for (const [jsonKey, column] of Object.entries(allowedFields)) {
    if (jsonKey in body) setClauses.push(\`\${column} = ?\`);
  }
  await db.prepare(\`UPDATE contractors SET \${setClauses.join(", ")} WHERE id = ?\`).bind(id).run();
  const open: Record<string, string> = { name: extra };
  const more: string[] = [];
  for (const [, column] of Object.entries(open)) more.push(\`\${column} = ?\`);
  await db.prepare(\`UPDATE contractors SET \${more.join(", ")} WHERE id = ?\`).bind(id).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 11, "info"]]);
  });

  it("does not flag keys and literal values of a local object's entries, but flags a mutated or request-valued map", async () => {
    const dir = worker({
      "index.ts": `export function update(db: D1Database, body: Record<string, unknown>, req: string) {
  const map = { name: { column: "name" }, email: { column: "email_address" } } as const;
  const flat = { title: "title", done: "is_done" };
  const sets: string[] = [];
  const binds: unknown[] = [];
  for (const [k, m] of Object.entries(map)) if (body[k] !== undefined) { sets.push(\`\${m.column} = ?\`); binds.push(body[k]); }
  for (const [k, c] of Object.entries(flat)) sets.push(\`\${k} = \${c}\`);
  for (const m of Object.values(map)) sets.push(m.column);
  for (const k of Object.keys(map)) sets.push(k);
  db.prepare(\`UPDATE users SET \${sets.join(", ")} WHERE id = ?\`).bind(...binds);
  const grown = { a: "a" } as Record<string, string>;
  grown[req] = req;
  for (const [k] of Object.entries(grown)) db.prepare(\`SELECT \${k} FROM t\`);
  const open = { a: { column: req } };
  for (const [, m] of Object.entries(open)) db.prepare(\`SELECT \${m.column} FROM t\`);
  for (const [k] of Object.entries(map)) db.prepare(\`SELECT \${body[k]} FROM t\`);
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 13, "info"],
      ["src/index.ts", 15, "info"],
      ["src/index.ts", 16, "info"],
    ]);
  });

  it("does not flag a column property every element of a built list has as a literal, but flags one from input", async () => {
    const dir = worker({
      "index.ts": `type Change = { column: string; value: unknown };
function setClause(changes: Change[]) {
  return changes.map((c) => \`\${c.column} = ?\`).join(", ");
}
export function update(db: D1Database, body: Record<string, string>) {
  const changes: Change[] = [];
  if (body.name !== undefined) changes.push({ column: "name", value: body.name });
  if (body.email !== undefined) changes.push({ column: "email_address", value: body.email });
  db.prepare(\`UPDATE u SET \${setClause(changes)} WHERE id = ?\`);
  for (const c of changes) db.prepare(\`UPDATE u SET \${c.column} = ?\`).bind(c.value);
  const open: Change[] = [{ column: "name", value: 1 }];
  open.push({ column: body.sort, value: 2 });
  for (const c of open) db.prepare(\`UPDATE u SET \${c.column} = ?\`);
  for (const c of changes) db.prepare(\`UPDATE u SET name = \${c.value}\`);
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 13, "info"],
      ["src/index.ts", 14, "info"],
    ]);
  });

  it("does not flag a column property every value of a filled object has as a literal, but flags one from input", async () => {
    const dir = worker({
      "index.ts": `type Field = { column: string; value: unknown };
function setClause(fields: Record<string, Field>) {
  return Object.values(fields).map((x) => \`\${x.column} = ?\`).join(", ");
}
export function update(db: D1Database, body: Record<string, string>) {
  const fields: Record<string, Field> = {};
  if (body.name) fields.name = { column: "name", value: body.name };
  db.prepare(\`UPDATE u SET \${setClause(fields)} WHERE id = ?\`);
  db.prepare(\`UPDATE u SET \${setClause({ a: { column: "a", value: body.a } })} WHERE id = ?\`);
  for (const [, x] of Object.entries(fields)) db.prepare(\`UPDATE u SET \${x.column} = ?\`);
  const open: Record<string, Field> = {};
  Object.assign(open, { sort: { column: body.sort, value: 1 } });
  for (const [, x] of Object.entries(open)) db.prepare(\`UPDATE u SET \${x.column} = ?\`);
  for (const x of Object.values(fields)) db.prepare(\`UPDATE u SET name = \${x.value}\`);
  const set: Record<string, Field> = {};
  set.sort = { column: body.sort, value: 1 };
  db.prepare(\`UPDATE u SET \${setClause(set)} WHERE id = ?\`);
}
`,
    });
    // setClause is judged per call: its calls with literal columns (8, 9) stay constant beside the open one (17).
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 13, "info"],
      ["src/index.ts", 14, "info"],
      ["src/index.ts", 17, "info"],
    ]);
  });

  it("does not flag clauses a local helper builds from nested { column, value } maps, but flags input written into them", async () => {
    // Each call is judged by its own arguments: the helper's `fixed` call stays constant beside the `open` one.
    const dir = worker({
      "index.ts": `type Field = { column: string; value: unknown };
export async function patch(db: D1Database, body: Record<string, string>, id: string) {
  const orderFields: Record<string, Field> = {
    status: { column: "status", value: body.status },
    deliveryNote: { column: "delivery_note", value: body.deliveryNote },
  };
  function setClauses(fields: Record<string, Field>, given: Record<string, unknown>) {
    const clauses: string[] = [];
    const binds: unknown[] = [];
    for (const [key, field] of Object.entries(fields)) {
      if (given[key] !== undefined) { clauses.push(\`\${field.column} = ?\`); binds.push(field.value); }
    }
    return { clauses, binds };
  }
  const order = setClauses(orderFields, body);
  order.clauses.push("updated_at = datetime('now')");
  await db.prepare(\`UPDATE orders SET \${order.clauses.join(", ")} WHERE id = ?\`).bind(...order.binds, id).run();
  const sorted = setClauses(orderFields, body);
  sorted.clauses.push(body.extra);
  await db.prepare(\`UPDATE orders SET \${sorted.clauses.join(", ")} WHERE id = ?\`).bind(id).run();
}
export function patchItems(db: D1Database, body: Record<string, string>) {
  function setClauses(fields: Record<string, Field>) {
    return Object.values(fields).map((f) => \`\${f.column} = ?\`);
  }
  const fixed = setClauses({ qty: { column: "qty", value: body.qty } });
  const open = setClauses({ qty: { column: body.column, value: body.qty } });
  return [db.prepare(\`UPDATE items SET \${fixed.join(", ")}\`), db.prepare(\`UPDATE items SET \${open.join(", ")}\`)];
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 20, "info"],
      ["src/index.ts", 28, "info"],
    ]);
  });

  it("does not flag a variable declared bare and set only to literals (switch allow-list), but flags one set from input", async () => {
    const dir = worker({
      "index.ts": `export async function list(db: D1Database, sort: string) {
  let column: string;
  switch (sort) {
    case "name": column = "name"; break;
    case "date": column = "created_at"; break;
    default: column = "id";
  }
  await db.prepare(\`SELECT * FROM notes ORDER BY \${column}\`).all();
  let picked;
  if (sort.length < 20) picked = sort;
  await db.prepare(\`SELECT * FROM notes ORDER BY \${picked}\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 11, "info"]]);
  });

  it("names only the values that did not fold in the fix, and never binds a name", async () => {
    const dir = worker({
      "index.ts": `export async function f(db: D1Database, table: string, upsert: boolean) {
  await db
    .prepare(\`INSERT \${upsert ? "OR REPLACE " : ""}INTO \${table} (id) VALUES (?)\`)
    .bind(1)
    .run();
}
`,
    });
    const [found] = await findingsOf(dir, analyzers, "code/sql-interpolation");
    expect(found).toMatchObject({ line: 3, severity: "info" });
    expect(found?.fix).toContain("`table` sits where a table or column name");
    expect(found?.fix).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the fix quotes a tagged template
      "sql`INSERT ${upsert ? sql`OR REPLACE ` : sql``}INTO ${sql.id(table)} (id) VALUES (?)`",
    );
    expect(found?.fix).not.toContain(".bind(table");
  });
});

describe("code/sql-interpolation: what a ternary picks, and folds many steps deep", () => {
  it("judges a ternary by its branches: a request value in the condition only picks one", async () => {
    const dir = worker({
      "index.ts": `export async function list(db: D1Database, params: { sort?: string }, column: string) {
  const order = params.sort === "name" ? column : "id";
  await db.prepare(\`SELECT * FROM cards ORDER BY \${order}\`).all();
  const picked = params.sort === "name" ? params.sort : "id";
  await db.prepare(\`SELECT * FROM cards ORDER BY \${picked}\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 3, "info"],
      ["src/index.ts", 5, "error"],
    ]);
  });

  it("folds a ranking CASE that local helpers build from column lists picked by ternaries, but flags input in it", async () => {
    const rankedSearch = (
      extra: string,
    ) => `export async function search(db: D1Database, params: { q: string; sort?: string; lang?: string }) {
  const binds: unknown[] = [];
  let relevance = "";
  const script = params.q.length > 3 ? "long" : "short";
  const lang = params.lang === "en" || params.lang === "de" ? params.lang : null;
  const preferred = script === "long" ? ["title_en"] : script === "short" ? ["title_de"] : [];
  const site = lang ? [TITLE[lang]] : [];
  const all = ["title_en", "title_de"];
  const cases: string[] = [];
  let rank = 0;
  const addCase = (expr: string, vals: unknown[]) => {
    cases.push(\`WHEN \${expr} THEN \${rank++}\`);
    binds.push(...vals);
  };
  const eqExpr = (cols: string[]) => cols.map((col) => \`\${col} = ?\`).join(" OR ");
  const likeExpr = (cols: string[]) => cols.map((col) => \`\${col} LIKE ?\`).join(" OR ");
  addCase("id = ?", [Number(params.q)]);
  if (preferred.length) addCase(\`(\${eqExpr(preferred)})\`, preferred.map(() => params.q));
  if (site.length) addCase(\`(\${likeExpr(site)})\`, site.map(() => params.q));
  addCase(\`(\${likeExpr(all)})\`, all.map(() => params.q));${extra}
  relevance = \`CASE \${cases.join(" ")} ELSE \${rank} END, \`;
  const order =
    params.sort === "date" ? \`\${relevance}created_at DESC, id ASC\` :
    params.sort === "title" ? \`\${relevance}title_en ASC, id ASC\` :
    \`\${relevance}id ASC\`;
  return db.prepare(\`SELECT * FROM cards ORDER BY \${order} LIMIT 20\`).bind(...binds).all();
}
const TITLE: Record<"en" | "de", string> = { en: "title_en", de: "title_de" };
`;
    const folded = worker({ "index.ts": rankedSearch("") });
    expect(await sqlFindings(folded)).toEqual([]);
    const open = worker({ "index.ts": rankedSearch("\n  addCase(params.q, []);") });
    expect(await sqlFindings(open)).toEqual([["src/index.ts", 27, "info"]]);
  });
});

describe("code/sql-interpolation: placeholder helpers passed by name, and numbers", () => {
  it("folds clauses a local bind() helper fills with numbered placeholders, also when passed to map by name, and clamped numbers", async () => {
    const dir = worker({
      "index.ts": `export async function list(db: D1Database, filters: { categories?: string[]; region?: string; limit?: number; offset?: number }) {
  const clauses = ["active = 1", "status = 'approved'"];
  const bindings: unknown[] = [];
  const bind = (value: unknown) => {
    bindings.push(value);
    return \`?\${bindings.length}\`;
  };
  if (filters.categories?.length) clauses.push(\`category IN (\${filters.categories.map(bind).join(", ")})\`);
  if (filters.region) clauses.push(\`region = \${bind(filters.region)}\`);
  const limit = Math.min(48, Math.max(1, filters.limit ?? 24));
  const offset = Math.max(0, filters.offset ?? 0);
  await db.prepare(\`SELECT * FROM products WHERE \${clauses.join(" AND ")} LIMIT \${limit + 1} OFFSET \${offset}\`).bind(...bindings).all();
  function quote(value: string) {
    return \`'\${value}'\`;
  }
  await db.prepare(\`SELECT * FROM products WHERE category IN (\${(filters.categories ?? []).map(quote).join(", ")})\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 16, "info"]]);
  });

  it("trusts numbers from the number built-ins and number types, not a library's max nor request input cast to a number", async () => {
    const dir = worker({
      "index.ts": `import _ from "lodash";
export async function page(request: Request, db: D1Database, size: number) {
  const url = new URL(request.url);
  const n = Math.min(Number.parseInt(url.searchParams.get("n") ?? "10", 10), 50);
  const skip = Math.floor(Number(url.searchParams.get("skip")) || 0) * size;
  await db.prepare(\`SELECT * FROM t LIMIT \${n} OFFSET \${skip + size}\`).all();
  const column = _.max(url.searchParams.getAll("col"));
  await db.prepare(\`SELECT * FROM t ORDER BY \${column}\`).all();
  const body: any = await request.json();
  const limit: number = body.limit;
  await db.prepare(\`SELECT * FROM t LIMIT \${limit}\`).all();
  const text = body.limit as unknown as string;
  await db.prepare(\`SELECT * FROM t LIMIT \${text.length} OFFSET \${text}\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 8, "error"],
      ["src/index.ts", 11, "error"],
      ["src/index.ts", 13, "error"],
    ]);
  });
});

describe("code/sql-interpolation: a class's own helper methods", () => {
  it("folds this.helper() when the method cannot be overridden and returns constants, but flags one that returns input", async () => {
    const dir = worker({
      "repo.ts": `export class NoteRepo {
  constructor(private db: D1Database) {}
  private placeholders(n: number) {
    return Array(n).fill("?").join(", ");
  }
  #order(newest: boolean) {
    return newest ? "created_at DESC" : "created_at ASC";
  }
  private raw(column: string) {
    return column;
  }
  columns() {
    return "id, title";
  }
  byIds(ids: string[], newest: boolean, column: string) {
    return [
      this.db.prepare(\`SELECT * FROM notes WHERE id IN (\${this.placeholders(ids.length)}) ORDER BY \${this.#order(newest)}\`),
      this.db.prepare(\`SELECT * FROM notes ORDER BY \${this.raw(column)}\`),
      this.db.prepare(\`SELECT \${this.columns()} FROM notes\`),
    ];
  }
}
export class LoudRepo extends NoteRepo {
  override columns() {
    return globalThis.location.search;
  }
}
`,
      "index.ts": `import { NoteRepo } from "./repo.js";
export default { fetch: (_r: Request, env: Env) => new NoteRepo(env.DB).byIds([], true, "id") };
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/repo.ts", 18, "info"],
      ["src/repo.ts", 19, "info"],
    ]);
  });
});

describe("code/sql-interpolation: text the runtime generates", () => {
  it("folds ISO dates, random UUIDs and Date.now(), but flags a date's free text and look-alikes the project defines", async () => {
    const dir = worker({
      "index.ts": `export async function cleanup(db: D1Database, label: { toISOString(): string }) {
  const cutoff = new Date(Date.now() - 86400000).toISOString();
  const day = new Date().toISOString().slice(0, 10);
  await db.prepare(\`DELETE FROM t WHERE created < '\${cutoff}' AND day < '\${day}' AND ts < \${Date.now()}\`).run();
  await db.prepare(\`INSERT INTO t (id) VALUES ('\${crypto.randomUUID()}')\`).run();
  await db.prepare(\`DELETE FROM t WHERE created < '\${label.toISOString()}'\`).run();
  await db.prepare(\`DELETE FROM t WHERE note = '\${new Date().toString()}'\`).run();
}
export async function fake(db: D1Database, id: string) {
  const crypto = { randomUUID: () => id };
  await db.prepare(\`INSERT INTO t (id) VALUES ('\${crypto.randomUUID()}')\`).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 6, "info"],
      ["src/index.ts", 7, "info"],
      ["src/index.ts", 11, "info"],
    ]);
  });
});

describe("code/sql-interpolation: lookups in constant maps, and number callbacks", () => {
  it("folds a lookup in a Map of constants and ids mapped through Number, but flags a Map some code fills from input", async () => {
    const dir = worker({
      "index.ts": `const SORT_COLUMNS = new Map([
  ["new", "created_at"],
  ["top", "score"],
]);
const LABELS = new Map(Object.entries({ a: "label_a", b: "label_b" } as const));
const OPEN = new Map<string, string>();
export async function list(db: D1Database, request: Request) {
  const url = new URL(request.url);
  const sort = url.searchParams.get("sort") ?? "";
  const col = SORT_COLUMNS.get(sort) ?? "created_at";
  const ids = url.searchParams.getAll("id");
  await db.prepare(\`SELECT \${LABELS.get(sort)} FROM t WHERE id IN (\${ids.map(Number).join(",")}) ORDER BY \${col}\`).all();
  OPEN.set("x", sort);
  await db.prepare(\`SELECT * FROM t ORDER BY \${OPEN.get(sort) ?? "id"}\`).all();
  await db.prepare(\`SELECT * FROM t WHERE id IN (\${ids.map(String).join(",")})\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 14, "error"],
      ["src/index.ts", 15, "error"],
    ]);
  });
});

describe("code/sql-interpolation: entries filtered through an allow-list", () => {
  it("folds keys of entries an allow-list filtered, also held in a variable, but flags entries filtered on their value", async () => {
    const dir = worker({
      "index.ts": `const COLUMNS = ["title", "done"] as const;
export async function update(db: D1Database, patch: Record<string, string>, id: string) {
  const entries = Object.entries(patch).filter(([key]) => (COLUMNS as readonly string[]).includes(key));
  const sets = entries.map(([key]) => \`\${key} = ?\`).join(", ");
  await db.prepare(\`UPDATE todos SET \${sets} WHERE id = ?\`).bind(...entries.map(([, v]) => v), id).run();
  for (const [key] of Object.entries(patch).filter(([k, v]) => COLUMNS.includes(k as "title") && v !== "")) {
    await db.prepare(\`UPDATE todos SET \${key} = NULL WHERE id = ?\`).bind(id).run();
  }
  const loose = Object.entries(patch).filter(([, v]) => COLUMNS.includes(v as "title"));
  await db.prepare(\`UPDATE todos SET \${loose.map(([key]) => \`\${key} = ?\`).join(", ")}\`).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 10, "info"]]);
  });
});

describe("code/sql-interpolation: a class's constant fields", () => {
  it("folds a private readonly list field and a static field nothing writes, but flags a static field written from input", async () => {
    const dir = worker({
      "index.ts": `export class UserRepo {
  static TABLE = "users";
  static readonly ARCHIVE = "users_archive";
  static target = "users";
  private readonly cols = ["id", "name"];
  constructor(private db: D1Database) {}
  list(limit: number) {
    return this.db.prepare(\`SELECT \${this.cols.join(", ")} FROM \${UserRepo.TABLE} UNION SELECT * FROM \${UserRepo.ARCHIVE} LIMIT \${limit}\`).all();
  }
  private readonly extra: string[] = ["id"];
  more(column: string) {
    this.extra.push(column);
    return this.db.prepare(\`SELECT \${this.extra.join(", ")} FROM users\`).all();
  }
  retarget(name: string) {
    UserRepo.target = name;
    return this.db.prepare(\`SELECT * FROM \${UserRepo.target}\`).all();
  }
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 13, "info"],
      ["src/index.ts", 17, "info"],
    ]);
  });
});

describe("code/sql-interpolation: helpers kept in an object", () => {
  it("folds a helper called through a const object of functions, but flags one whose helper returns input or is replaced", async () => {
    const dir = worker({
      "sql.ts": `export const sqlUtils = {
  inList: (n: number) => Array(n).fill("?").join(", "),
  columns() {
    return "id, title";
  },
  raw: (s: string) => s,
};
export const swapped = { columns: () => "id" };
`,
      "index.ts": `import { sqlUtils, swapped } from "./sql.js";
export async function list(db: D1Database, ids: string[], column: string) {
  await db.prepare(\`SELECT \${sqlUtils.columns()} FROM t WHERE id IN (\${sqlUtils.inList(ids.length)})\`).bind(...ids).all();
  await db.prepare(\`SELECT \${sqlUtils.raw(column)} FROM t\`).all();
  swapped.columns = () => column;
  await db.prepare(\`SELECT \${swapped.columns()} FROM t\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 4, "info"],
      ["src/index.ts", 6, "info"],
    ]);
  });
});

describe("code/sql-interpolation: values checked to be digits", () => {
  it("folds a value an anchored digits-only pattern checked, but not an unanchored or wider pattern", async () => {
    const dir = worker({
      "index.ts": `const DIGITS = /^[0-9]{1,4}$/;
export async function page(db: D1Database, url: URL) {
  const lim = url.searchParams.get("limit");
  const limit = lim && /^\\d+$/.test(lim) ? lim : "20";
  const off = url.searchParams.get("offset") ?? "0";
  if (!DIGITS.test(off)) throw new Error("bad offset");
  await db.prepare(\`SELECT * FROM t LIMIT \${limit} OFFSET \${off}\`).all();
  const a = url.searchParams.get("a") ?? "";
  if (!/\\d+/.test(a)) throw new Error("bad");
  await db.prepare(\`SELECT * FROM t LIMIT \${a}\`).all();
  const b = url.searchParams.get("b") ?? "";
  if (!/^\\d+$/m.test(b)) throw new Error("bad");
  await db.prepare(\`SELECT * FROM t WHERE id IN (\${b})\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 10, "info"],
      ["src/index.ts", 13, "info"],
    ]);
  });
});

describe("code/sql-interpolation: values compared with literals before use", () => {
  it("folds request input that an equality guard, an if or a switch case narrowed to literals, but not a fall-through or a loose guard", async () => {
    const dir = worker({
      "index.ts": `export async function list(db: D1Database, request: Request) {
  const url = new URL(request.url);
  const col = url.searchParams.get("col");
  if (col !== "name" && col !== "email") return new Response("bad", { status: 400 });
  await db.prepare(\`SELECT \${col} FROM users\`).all();
  const kind = url.searchParams.get("kind");
  switch (kind) {
    case "a":
    case "b":
      await db.prepare(\`SELECT * FROM \${kind}_items\`).all();
      break;
    case "c":
      console.log("c");
    case "d":
      await db.prepare(\`SELECT * FROM \${kind}_items\`).all();
      break;
    default:
      await db.prepare(\`SELECT * FROM \${kind}_items\`).all();
  }
  const dir = url.searchParams.get("dir");
  if (dir === "ASC" || dir === "DESC") await db.prepare(\`SELECT * FROM t ORDER BY id \${dir}\`).all();
  const loose = url.searchParams.get("loose");
  if (loose !== "name" && loose.length > 10) return new Response("bad", { status: 400 });
  await db.prepare(\`SELECT \${loose} FROM users\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 15, "error"],
      ["src/index.ts", 18, "error"],
      ["src/index.ts", 24, "error"],
    ]);
  });
});

describe("code/sql-interpolation: values checked to be numbers", () => {
  it("folds request input a typeof guard proved a number or boolean, but not one proved a string", async () => {
    const dir = worker({
      "index.ts": `export async function page(db: D1Database, request: Request) {
  const body: { limit?: unknown; flag?: unknown; name?: unknown } = await request.json();
  const limit = body.limit;
  if (typeof limit !== "number" || limit > 100) throw new Error("bad limit");
  const flag = body.flag;
  if (typeof flag === "boolean") await db.prepare(\`SELECT * FROM t WHERE on = \${flag} LIMIT \${limit}\`).all();
  const name = body.name;
  if (typeof name !== "string") throw new Error("bad name");
  await db.prepare(\`SELECT * FROM t WHERE name = '\${name}'\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 9, "error"]]);
  });
});

describe("code/sql-interpolation: a property checked before use", () => {
  it("folds query.sort an allow-list or equality guard checked, but not after the property is rewritten", async () => {
    const dir = worker({
      "index.ts": `const SORTS = ["name", "created_at"];
export async function list(db: D1Database, query: { sort: string; dir: string }, body: { col: string }) {
  if (!SORTS.includes(query.sort)) throw new Error("bad sort");
  if (query.dir !== "ASC" && query.dir !== "DESC") throw new Error("bad dir");
  await db.prepare(\`SELECT * FROM t ORDER BY \${query.sort} \${query.dir}\`).all();
  if (!SORTS.includes(body.col)) throw new Error("bad column");
  body.col = query.dir + body.col;
  await db.prepare(\`SELECT \${body.col} FROM t\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 8, "info"]]);
  });
});

describe("code/sql-interpolation: entries picked from constant tables", () => {
  it("folds a found element, a keyed entry, a destructured return and keys written under constant names", async () => {
    const dir = worker({
      "fields.ts": `export const FIELDS = [
  { name: "max_kills", label: "Kills", type: "int" },
  { name: "enlist_date", label: "Enlisted", type: "date" },
];
export const DIVISIONS = { a: { column: "count_a", logo: "x" }, b: { column: "count_b", logo: "y" } };
export function parseData(values: Record<string, string>) {
  const data: Record<string, string> = {};
  for (const field of FIELDS) {
    if (values[field.name] === "") return { error: \`\${field.label} is empty\` };
    data[field.name] = String(values[field.name]);
  }
  return { data };
}
export function pick(key: string) {
  const division = DIVISIONS[key as keyof typeof DIVISIONS];
  if (!division) return { error: "unknown" };
  return { division, count: 1 };
}
`,
      "index.ts": `import { DIVISIONS, FIELDS, parseData, pick } from "./fields.js";
async function total(db: D1Database, column: string) {
  return db.prepare(\`SELECT SUM(\${column}) AS n FROM submissions\`).first();
}
export default {
  async fetch(req: Request, env: { DB: D1Database }) {
    const body = (await req.json()) as Record<string, string>;
    const field = FIELDS.find((f) => f.name === body.field);
    if (field) await env.DB.prepare(\`SELECT \${field.name} FROM highscores ORDER BY \${field.name}\`).all();
    await total(env.DB, DIVISIONS[body.division as "a"].column);
    const { division } = pick(body.division);
    if (division) await env.DB.prepare(\`INSERT INTO s (user, \${division.column}) VALUES (?, ?)\`).bind(1, 2).run();
    const { data } = parseData(body);
    const columns = ["user"];
    for (const [key] of Object.entries(data)) columns.push(key);
    await env.DB.prepare(\`INSERT INTO highscores (\${columns.join(", ")}) VALUES (?)\`).bind(1).run();
    return new Response("ok");
  },
};
`,
    });
    expect(await sqlFindings(dir)).toEqual([]);
  });

  it("still flags a returned request value, a table with a request-made entry, and a key written from the request", async () => {
    const dir = worker({
      "index.ts": `const MAP: Record<string, { column: string }> = { a: { column: "count_a" } };
function parse(body: Record<string, string>) {
  if (!body.x) return { error: "missing" };
  return { column: body.x };
}
export default {
  async fetch(req: Request, env: { DB: D1Database }) {
    const body = (await req.json()) as Record<string, string>;
    const { column } = parse(body);
    await env.DB.prepare(\`SELECT \${column} FROM t\`).all();
    MAP.b = { column: body.y };
    await env.DB.prepare(\`SELECT \${MAP[body.k].column} FROM t\`).all();
    const data: Record<string, string> = {};
    data[body.z] = "1";
    await env.DB.prepare(\`SELECT \${Object.keys(data).join(", ")} FROM t\`).all();
    return new Response("ok");
  },
};
`,
    });
    expect((await sqlFindings(dir)).map(([, line]) => line)).toEqual([10, 12, 15]);
  });
});

describe("code/sql-interpolation: keys checked one by one against an allow-list", () => {
  it("folds the keys of request input that a loop or a some() before the SQL rejects unless listed, not a loop that only skips them", async () => {
    const dir = worker({
      "index.ts": `const FIELDS = ["finished", "progress", "bookmarked"];
export default {
  async fetch(request: Request, env: { DB: D1Database }) {
    const data = (await request.json()) as Record<string, unknown>;
    for (const key of Object.keys(data)) {
      if (!FIELDS.includes(key)) {
        return new Response("bad field", { status: 422 });
      }
    }
    await env.DB.prepare(\`UPDATE item SET \${Object.keys(data).map((k) => \`\${k} = ?\`).join(", ")}\`).bind(...Object.values(data)).run();
    const other = (await request.json()) as Record<string, unknown>;
    if (Object.keys(other).some((k) => !FIELDS.includes(k))) throw new Error("bad field");
    await env.DB.prepare(\`UPDATE item SET \${Object.keys(other).map((k) => \`\${k} = ?\`).join(", ")}\`).run();
    const loose = (await request.json()) as Record<string, unknown>;
    for (const key in loose) {
      if (!FIELDS.includes(key)) continue;
    }
    await env.DB.prepare(\`UPDATE item SET \${Object.keys(loose).map((k) => \`\${k} = ?\`).join(", ")}\`).run();
    return new Response("ok");
  },
};
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 18, "error"]]);
  });
});
