import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];
const CONFIG = JSON.stringify({
  name: "files",
  main: "src/index.ts",
  compatibility_date: "2025-01-01",
  d1_databases: [{ binding: "DB", database_name: "files" }],
  kv_namespaces: [{ binding: "META", id: "x" }],
  r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
});

const keyFindings = async (index: string) =>
  (
    await findingsOf(
      writeProject({ "wrangler.json": CONFIG, "src/index.ts": index }),
      analyzers,
      "code/unvalidated-r2-key",
    )
  ).map((f) => [f.line, f.severity]);

describe("code/unvalidated-r2-key: only request data taints a key", () => {
  it("does not flag keys read from a D1 row, a drizzle row, KV or another R2 object, even when the lookup used the request", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
import { drizzle } from "drizzle-orm/d1";
const app = new Hono<{ Bindings: Env }>();
app.get("/r/:id", async (c) => {
  const id = c.req.param("id");
  const row = await c.env.DB.prepare("SELECT key FROM files WHERE id = ?").bind(id).first<{ key: string }>();
  if (!row) return c.text("no", 404);
  const db = drizzle(c.env.DB);
  const replay = await db.select().from(replays).where(eq(replays.id, id)).get();
  const stored = await c.env.META.get(\`file:\${id}\`);
  const head = await c.env.FILES.head(\`index/\${crypto.randomUUID()}\`);
  await c.env.FILES.get(row.key);
  await c.env.FILES.get(replay.storageUrl);
  await c.env.FILES.get(stored ?? "missing");
  await c.env.FILES.get(head?.customMetadata?.target ?? "none");
  return c.text("ok");
});
export async function byRow(db: D1Database, bucket: R2Bucket, id: string) {
  const { results } = await db.prepare("SELECT key FROM f WHERE owner = ?").bind(id).all<{ key: string }>();
  for (const r of results) await bucket.delete(r.key);
}
export default app;
`),
    ).toEqual([]);
  });

  it("does not flag keys under the verified caller's folder, with a server timestamp, or from a helper that returns a stored row plus constants", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
async function authenticate(request: Request, env: Env): Promise<{ accountId: string }> {
  const row = await env.DB.prepare("SELECT account_id FROM sessions WHERE token = ?").bind(request.headers.get("authorization")).first<{ account_id: string }>();
  if (!row) throw new Error("401");
  return { accountId: row.account_id };
}
async function getSheet(c: { env: Env }, id: string) {
  const row = await c.env.DB.prepare("SELECT id, pdf_key FROM sheets WHERE id = ?").bind(id).first<{ id: string; pdf_key: string }>();
  if (row) return { ...row, storage: "sheet" as const, archived: null };
  throw new Error("404");
}
app.put("/d/:id", async (c) => {
  const auth = await authenticate(c.req.raw, c.env);
  const body = await c.req.json<{ sourceId: string }>();
  await c.env.FILES.put(\`accounts/\${auth.accountId}/detections/\${c.req.param("id")}\`, "x");
  await c.env.FILES.put(\`notifications/\${body.sourceId}/\${Date.now()}.png\`, "x");
  const sheet = await getSheet(c, c.req.param("id"));
  await c.env.FILES.delete([sheet.pdf_key]);
  return c.text("ok");
});
export default app;
`),
    ).toEqual([[16, "info"]]);
  });

  it("follows the project's own helpers: a stored key they return is clean, a request value they return is not", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
async function commit(env: Env, row: { id: string; pending_key: string | null }, input: { name: string }) {
  await env.DB.prepare("UPDATE items SET name = ? WHERE id = ?").bind(input.name, row.id).run();
  const deleteKey = row.pending_key;
  return { row, deleteKey };
}
function keyOf(prefix: string, ...parts: string[]) {
  return [prefix, ...parts].join("/");
}
app.post("/i/:id", async (c) => {
  const input = await c.req.json<{ name: string; key: string }>();
  const row = await c.env.DB.prepare("SELECT id, pending_key FROM items WHERE id = ?").bind(c.req.param("id")).first<{ id: string; pending_key: string | null }>();
  if (!row) return c.text("no", 404);
  let result: { deleteKey: string | null };
  result = await commit(c.env, row, input);
  if (result.deleteKey) await c.env.FILES.delete(result.deleteKey);
  await c.env.FILES.delete(keyOf("up", input.key));
  return c.text("ok");
});
export default app;
`),
    ).toEqual([[18, "warning"]]);
  });

  it("still flags a request key next to an identity call", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
declare function getUser(c: unknown): Promise<{ id: string }>;
app.delete("/f", async (c) => {
  const user = await getUser(c);
  const { key } = await c.req.json<{ key: string }>();
  await c.env.FILES.delete(key);
  return c.text(user.id);
});
export default app;
`),
    ).toEqual([[7, "warning"]]);
  });

  it("still flags keys from the URL, params, headers, form data and JSON body", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
app.get("/a/:k", async (c) => c.body((await c.env.FILES.get(c.req.param("k")))?.body ?? null));
app.post("/b", async (c) => {
  const form = await c.req.formData();
  await c.env.FILES.put(String(form.get("name")), "x");
  const name = c.req.header("x-file") ?? "none";
  await c.env.FILES.delete(name);
  return c.text("ok");
});
export default {
  async fetch(request: Request, env: Env) {
    const body = (await request.json()) as { key: string };
    await env.FILES.get(body.key);
    await env.FILES.get(new URL(request.url).searchParams.get("k") ?? "");
    return app.fetch(request, env);
  },
};
`),
    ).toEqual([
      [3, "info"],
      [6, "warning"],
      [8, "warning"],
      [14, "info"],
      [15, "info"],
    ]);
  });
  it("does not flag a key that holds a fresh random id, even with a request-given extension", async () => {
    expect(
      await keyFindings(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
app.post("/receipts", async (c) => {
  const form = await c.req.formData();
  const file = form.get("photo") as File;
  const ext = (file.name.split(".").pop() ?? "jpg").toLowerCase().slice(0, 5);
  const id = crypto.randomUUID();
  const photoKey = \`receipts/\${id}.\${ext}\`;
  await c.env.FILES.put(photoKey, await file.arrayBuffer());
  await c.env.FILES.put(\`up/\${crypto.randomUUID()}.\${ext}\`, "x");
  await c.env.FILES.put(\`named/\${file.name}\`, "x");
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (!["png", "jpg"].includes(ext)) return c.text("bad type", 400);
  await c.env.FILES.put(\`img/\${Date.now()}-\${hex}.\${ext}\`, "x");
  await c.env.FILES.put(\`img/\${Date.now()}-\${file.name}\`, "x");
  await c.env.FILES.put(newKey(ext), "x");
  await c.env.FILES.put(pathOf(file.name), "x");
  return c.json({ photoKey });
});
function newKey(ext: string) {
  return \`uploads/\${crypto.randomUUID()}.\${ext}\`;
}
const pathOf = (name: string) => \`uploads/\${name}\`;
export default app;
`),
    ).toEqual([
      [11, "warning"],
      [18, "warning"],
    ]);
  });

  it("says info, not a warning, for names under a folder the server chose, and skips Math.random names", async () => {
    const findings = async (files: Record<string, string>) =>
      (await findingsOf(writeProject({ "wrangler.json": CONFIG, ...files }), analyzers, "code/unvalidated-r2-key")).map(
        (f) => [f.file, f.line, f.severity],
      );
    expect(
      await findings({
        "src/lib/access.ts": `import type { Context } from "hono";
export async function requireAlbum(c: Context, slug: string) {
  const row = await c.env.DB.prepare("SELECT id, owner FROM albums WHERE slug = ?").bind(slug).first<{ id: string; owner: string }>();
  if (!row) return c.json({ error: "not_found" }, 404);
  if (row.owner !== c.get("user").id) return c.json({ error: "forbidden" }, 403);
  return row;
}
`,
        "src/index.ts": `import { Hono } from "hono";
import { requireAlbum } from "./lib/access";
const app = new Hono<{ Bindings: Env }>();
app.post("/albums/:slug/photos", async (c) => {
  const album = await requireAlbum(c, c.req.param("slug"));
  if (album instanceof Response) return album;
  let form: FormData;
  try { form = await c.req.formData(); } catch { return c.text("bad", 400); }
  const file = form.get("photo") as File;
  const name = file.name.split("/").pop() ?? "photo";
  await c.env.FILES.put(\`\${album.id}/photos/\${name}\`, file.stream());
  const folder = form.get("folder") as string;
  await c.env.FILES.put(\`\${folder}/\${Date.now()}-\${Math.random().toString(36).slice(2)}.jpg\`, file.stream());
  await c.env.FILES.put(\`shared/\${name}\`, file.stream());
  await c.env.FILES.put(\`\${form.get("owner")}/\${name}\`, file.stream());
  return c.json({ ok: true });
});
export default app;
`,
      }),
    ).toEqual([
      ["src/index.ts", 11, "info"],
      ["src/index.ts", 14, "warning"],
      ["src/index.ts", 15, "warning"],
    ]);
  });
});
