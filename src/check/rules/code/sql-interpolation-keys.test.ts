import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];
const CONFIG = JSON.stringify({
  name: "notes",
  main: "src/index.ts",
  compatibility_date: "2025-01-01",
  d1_databases: [{ binding: "DB", database_name: "notes" }],
});

const sqlFindings = async (dir: string) =>
  (await findingsOf(dir, analyzers, "code/sql-interpolation")).map((f) => [f.file, f.line, f.severity]);

describe("code/sql-interpolation folds column names taken from keys the code fixed", () => {
  it("does not flag the keys of a zod object's output, but flags a schema that lets other keys through", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `import { z } from "zod";
const NotePatch = z.object({ title: z.string(), pinned: z.boolean() }).partial().refine((n) => Object.keys(n).length > 0);
const Loose = z.object({ title: z.string() }).passthrough();
export async function patch(db: D1Database, body: unknown, id: string) {
  const parsed = NotePatch.safeParse(body);
  if (!parsed.success) return;
  const sets: string[] = [];
  for (const [key] of Object.entries(parsed.data)) sets.push(\`\${key} = ?\`);
  for (const key in parsed.data) sets.push(\`\${key} = ?\`);
  await db.prepare(\`UPDATE notes SET \${sets.join(", ")} WHERE id = ?\`).bind(...Object.values(parsed.data), id).run();
  const loose = Loose.parse(body);
  await db.prepare(\`UPDATE notes SET \${Object.keys(loose).map((k) => \`\${k} = ?\`).join(", ")} WHERE id = ?\`).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 12, "info"]]);
  });

  it("reads a schema from a workspace package of the repo and the schema behind Hono's zValidator", async () => {
    const dir = writeProject({
      "package.json": JSON.stringify({ name: "repo", private: true, workspaces: ["apps/*", "packages/*"] }),
      "packages/shared/package.json": JSON.stringify({
        name: "@notes/shared",
        exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
      }),
      "packages/shared/src/index.ts": `import { z } from "zod";
export const NoteUpdate = z.object({ title: z.string(), body: z.string() }).strict();
export const AnyJson = z.record(z.string(), z.unknown());
`,
      "apps/api/wrangler.json": CONFIG,
      "apps/api/src/index.ts": `import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { AnyJson, NoteUpdate } from "@notes/shared";
const app = new Hono<{ Bindings: { DB: D1Database } }>();
app.patch("/notes/:id", zValidator("json", NoteUpdate), async (c) => {
  const data = c.req.valid("json");
  const cols = Object.keys(data).map((k) => \`\${k} = ?\`);
  await c.env.DB.prepare(\`UPDATE notes SET \${cols.join(", ")} WHERE id = ?\`).bind(...Object.values(data), c.req.param("id")).run();
  return c.json({ ok: true });
});
app.put("/raw/:id", zValidator("json", AnyJson), async (c) => {
  const data = c.req.valid("json");
  await c.env.DB.prepare(\`UPDATE notes SET \${Object.keys(data).map((k) => \`\${k} = ?\`).join(", ")}\`).run();
  return c.json({ ok: true });
});
export default app;
`,
    });
    expect(await sqlFindings(dir)).toEqual([["apps/api/src/index.ts", 13, "info"]]);
  });

  it("does not flag the keys of literal objects every caller passes, but flags one a caller fills from the request", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `type Prefs = { user_id: number; digest: boolean; theme: string };
async function savePrefs(db: D1Database, prefs: Prefs) {
  const keys: string[] = [];
  Object.entries(prefs).forEach(([key]) => keys.push(key));
  await db.prepare(\`INSERT INTO prefs (\${keys.join(", ")}) VALUES (\${keys.map(() => "?").join(", ")})\`).run();
}
export async function onSave(db: D1Database, userId: number, digest: boolean) {
  const base = { digest, theme: "dark" };
  await savePrefs(db, { user_id: userId, ...base });
}
async function updateNote(db: D1Database, fields: { title?: string; body?: string }) {
  const sets: string[] = [];
  for (const [key] of Object.entries(fields)) sets.push(\`\${key} = ?\`);
  await db.prepare(\`UPDATE notes SET \${sets.join(", ")} WHERE id = ?\`).run();
}
export async function onPut(db: D1Database, request: Request) {
  await updateNote(db, (await request.json()) as { title?: string });
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 14, "info"]]);
  });

  it("does not flag columns of an entry of a fixed object of lists, but flags one whose lists grow", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `const TABLES = ["notes", "tags"] as const;
const COLUMNS: Record<string, string[]> = { notes: ["id", "title"], tags: ["id", "name"] };
const GROWN: Record<string, string[]> = { notes: ["id"] };
export async function restore(db: D1Database, dump: Record<string, Record<string, unknown>[]>, extra: string) {
  for (const table of TABLES) {
    for (const row of dump[table] ?? []) {
      const allowed = COLUMNS[table] ?? [];
      const cols = allowed.filter((c) => Object.prototype.hasOwnProperty.call(row, c));
      await db.prepare(\`INSERT INTO \${table} (\${cols.join(",")}) VALUES (\${cols.map(() => "?").join(",")})\`).run();
    }
  }
  GROWN.notes?.push(extra);
  await db.prepare(\`SELECT \${(GROWN.notes ?? []).join(",")} FROM notes\`).all();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 13, "info"]]);
  });

  it("finds a helper's callers through a folder barrel and a namespace import, so their literal keys count", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/repositories/prefs.ts": `export const savePrefs = async (db: D1Database, prefs: { digest: boolean; theme: string }) => {
  const sets: string[] = [];
  Object.entries(prefs).forEach(([key]) => sets.push(\`\${key} = ?\`));
  await db.prepare(\`UPDATE prefs SET \${sets.join(", ")} WHERE id = ?\`).run();
};
export const saveRaw = async (db: D1Database, prefs: Record<string, unknown>) => {
  await db.prepare(\`UPDATE prefs SET \${Object.keys(prefs).map((k) => \`\${k} = ?\`).join(", ")}\`).run();
};
`,
      "src/repositories/index.ts": `export * from "./prefs";\n`,
      "src/services/prefs.ts": `import * as repositories from "../repositories";
export async function savePrefs(db: D1Database, prefs: { digest: boolean; theme: string }) {
  return repositories.savePrefs(db, prefs);
}
`,
      "src/index.ts": `import * as repositories from "./repositories";
import * as PrefsService from "./services/prefs";
export default {
  async fetch(request: Request, env: { DB: D1Database }) {
    const body = (await request.json()) as { digest: boolean };
    await PrefsService.savePrefs(env.DB, { digest: body.digest, theme: "dark" });
    await repositories.saveRaw(env.DB, body);
    return new Response("ok");
  },
};
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/repositories/prefs.ts", 7, "info"]]);
  });

  it("does not flag zod fields parsed to literals or numbers (z.enum, z.literal, z.coerce.number), but flags text fields", async () => {
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { z } from "zod";
const Dir = z.enum(["ASC", "DESC"]);
const ListQuery = z
  .object({
    sort: z.enum(["created_at", "title"]).default("created_at"),
    dir: Dir.optional().catch("DESC"),
    kind: z.literal("note"),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    search: z.string().optional(),
    alias: z.enum(["a", "b"]).transform((v) => v),
    column: z.string().default("title"),
  })
  .partial();
const app = new Hono<{ Bindings: { DB: D1Database } }>();
app.get("/notes", zValidator("query", ListQuery), async (c) => {
  const { sort, limit } = c.req.valid("query");
  const q = ListQuery.parse(c.req.query());
  await c.env.DB.prepare(\`SELECT * FROM notes WHERE kind = '\${q.kind}' ORDER BY \${sort} \${q.dir} LIMIT \${limit}\`).all();
  const parsed = ListQuery.safeParse(c.req.query());
  if (!parsed.success) return c.json({}, 400);
  await c.env.DB.prepare(\`SELECT * FROM notes ORDER BY \${parsed.data.sort} LIMIT \${parsed.data.limit}\`).all();
  await c.env.DB.prepare(\`SELECT * FROM notes WHERE title LIKE '%\${q.search}%'\`).all();
  await c.env.DB.prepare(\`SELECT * FROM notes ORDER BY \${q.alias}\`).all();
  await c.env.DB.prepare(\`SELECT * FROM notes ORDER BY \${parsed.data.column}\`).all();
  return c.json({});
});
export default app;
`,
    });
    expect(await sqlFindings(dir)).toEqual([
      ["src/index.ts", 24, "info"],
      ["src/index.ts", 25, "info"],
      ["src/index.ts", 26, "info"],
    ]);
  });
  it("folds a column list of tuples whose first element is a fixed key, and a helper called from many places", async () => {
    const calls = Array.from({ length: 90 }, (_, i) => `  await columnsOf(db, "t${i % 3}");`).join("\n");
    const dir = writeProject({
      "wrangler.json": CONFIG,
      "src/index.ts": `const CREATE_FIELDS = ["name", "brand", "price"] as const;
async function columnsOf(db: D1Database, table: string): Promise<Set<string>> {
  const { results } = await db.prepare(\`PRAGMA table_info(\${table})\`).all<{ name: string }>();
  return new Set(results.map((r) => r.name));
}
export async function create(db: D1Database, data: Record<string, unknown>, id: number, extra: string) {
  const columns = await columnsOf(db, "products");
${calls}
  const fields: Array<[string, unknown]> = [];
  fields.push(["id", id]);
  for (const field of CREATE_FIELDS) if (columns.has(field)) fields.push([field, data[field] ?? null]);
  await db.prepare(\`INSERT INTO products (\${fields.map(([field]) => field).join(", ")}) VALUES (\${fields.map(() => "?").join(", ")})\`).bind(...fields.map(([, v]) => v)).run();
  const loose: Array<[string, unknown]> = [["id", id]];
  loose.push([extra, 1]);
  await db.prepare(\`INSERT INTO products (\${loose.map(([field]) => field).join(", ")}) VALUES (?, ?)\`).run();
}
`,
    });
    expect(await sqlFindings(dir)).toEqual([["src/index.ts", 104, "info"]]);
  });
});
