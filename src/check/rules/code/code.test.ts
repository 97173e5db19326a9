import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];

const CONFIG = JSON.stringify({
  name: "shop",
  main: "src/index.ts",
  compatibility_date: "2025-01-01",
  d1_databases: [{ binding: "DB", database_name: "shop" }],
  kv_namespaces: [{ binding: "CONFIG", id: "x" }],
  r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
  durable_objects: { bindings: [{ name: "ROOMS", class_name: "Room" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["Room"] }],
  vars: { LOBBY: "main-lobby" },
});

/** A Worker whose src/index.ts is `index` and whose other files are `files`. */
function worker(index: string, files: Record<string, string> = {}): string {
  const src = Object.fromEntries(Object.entries(files).map(([k, v]) => [`src/${k}`, v]));
  return writeProject({ "wrangler.json": CONFIG, "src/index.ts": index, ...src });
}

describe("code/sql-interpolation", () => {
  it("flags interpolated and concatenated SQL, with the bound version as the fix", async () => {
    const dir = worker(`export default {
  async fetch(request: Request, env: Env) {
    const id = new URL(request.url).searchParams.get("id");
    await env.DB.prepare(\`SELECT * FROM users WHERE id = '\${id}'\`).first();
    const q = "DELETE FROM carts WHERE user = " + id;
    await env.DB.exec(q);
    return new Response("ok");
  },
};
`);
    const found = await findingsOf(dir, analyzers, "code/sql-interpolation");
    expect(found.map((f) => [f.line, f.severity])).toEqual([
      [4, "error"],
      [6, "error"],
    ]);
    expect(found[0]?.fix).toContain('env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id)');
    expect(found[1]?.fix).toContain('env.DB.prepare("DELETE FROM carts WHERE user = ?").bind(id).run()');
  });

  it("does not flag bound statements, constant fragments or non-SQL prepare()", async () => {
    const dir = worker(`const TABLE = "users";
export async function f(env: Env, id: string, t: Translator) {
  await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first();
  await env.DB.prepare(\`SELECT * FROM \${TABLE} WHERE id = ?\`).bind(id).first();
  t.prepare(\`hello \${id}\`);
}
`);
    expect(await findingsOf(dir, analyzers, "code/sql-interpolation")).toEqual([]);
  });

  it("folds SQL the code wrote itself: ternaries, placeholder lists, literal arrays, column functions, literal unions, allow-lists", async () => {
    const dir = worker(`type Sort = "created_at" | "name";
const COLUMNS = ["id", "name", "email"];
const ALLOWED = new Set(["asc", "desc"]);
const BY_KIND = { user: "users", team: "teams" } as const;
function columns() {
  return COLUMNS.join(", ");
}
const selectList = () => ["id", "total"].join(", ");
export async function f(env: Env, ids: string[], sort: Sort, dir: string, kind: "user" | "team", active: boolean, limit: number) {
  await env.DB.prepare(\`SELECT * FROM t WHERE active = \${active ? "1" : "0"}\`).all();
  await env.DB.prepare(\`SELECT * FROM t WHERE id IN (\${ids.map(() => "?").join(", ")})\`).bind(...ids).all();
  await env.DB.prepare(\`SELECT * FROM t WHERE id IN (\${Array(ids.length).fill("?").join(",")})\`).bind(...ids).all();
  const where: string[] = [];
  if (active) where.push("active = 1");
  where.push(\`owner = ?\`);
  await env.DB.prepare(\`SELECT \${columns()} FROM t WHERE \${where.join(" AND ")}\`).bind(1).all();
  await env.DB.prepare(\`SELECT \${selectList()} FROM t ORDER BY \${sort} LIMIT \${limit}\`).all();
  if (!ALLOWED.has(dir)) throw new Error("bad dir");
  await env.DB.prepare(\`SELECT * FROM \${BY_KIND[kind]} ORDER BY id \${dir}\`).all();
  await env.DB.prepare(\`UPDATE t SET \${COLUMNS.map((c, i) => \`\${c} = ?\${i + 1}\`).join(", ")}\`).bind(1, 2, 3).run();
}
`);
    expect(await findingsOf(dir, analyzers, "code/sql-interpolation")).toEqual([]);
  });

  it("still flags the unsafe twin of each folded pattern", async () => {
    const dir = worker(`function pick(col: string) {
  return col;
}
export async function f(env: Env, ids: string[], dir: string, name: string, on: boolean) {
  await env.DB.prepare(\`SELECT * FROM t WHERE id IN (\${ids.map((x) => x).join(", ")})\`).all();
  const where: string[] = ["a = 1"];
  where.push(name);
  await env.DB.prepare(\`SELECT * FROM t WHERE \${where.join(" AND ")}\`).all();
  await env.DB.prepare(\`SELECT * FROM t WHERE x = \${on ? "1" : name}\`).all();
  await env.DB.prepare(\`SELECT * FROM t ORDER BY id \${dir}\`).all();
  await env.DB.prepare(\`SELECT \${pick(name)} FROM t\`).all();
}
`);
    const found = await findingsOf(dir, analyzers, "code/sql-interpolation");
    expect(found.map((f) => f.line)).toEqual([5, 8, 9, 10, 11]);
  });

  it("points at the .prepare( line, never binds names, and lists a value it cannot trace as info", async () => {
    const dir = worker(`export default {
  async fetch(request: Request, env: Env) {
    const sort = new URL(request.url).searchParams.get("sort") ?? "id";
    const rows = await env.DB
      .prepare(\`SELECT * FROM users ORDER BY \${sort}\`)
      .all();
    return Response.json(rows);
  },
};
export async function byTable(env: Env, table: string) {
  return env.DB.prepare(\`SELECT count(*) FROM \${table} WHERE owner = '\${table}'\`).first();
}
`);
    const found = await findingsOf(dir, analyzers, "code/sql-interpolation");
    expect(found.map((f) => [f.line, f.severity])).toEqual([
      [5, "error"],
      [11, "info"],
    ]);
    expect(found[0]?.fix).not.toContain(".bind(sort)");
    expect(found[0]?.fix).toContain("ALLOWED.includes");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the fix quotes a tagged template
    expect(found[0]?.fix).toContain("sql`SELECT * FROM users ORDER BY ${sql.id(sort)}`.prepare(env.DB)");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the fix quotes a tagged template
    expect(found[1]?.fix).toContain("sql`SELECT count(*) FROM ${sql.id(table)} WHERE owner = ${table}`");
  });
});

describe("code/singleton-durable-object", () => {
  it("flags constant names, consts and fixed env vars", async () => {
    const dir = worker(`const NAME = "global";
export async function f(env: Env) {
  env.ROOMS.idFromName("global");
  env.ROOMS.idFromName(NAME);
  env.ROOMS.getByName(env.LOBBY);
}
`);
    const found = await findingsOf(dir, analyzers, "code/singleton-durable-object");
    expect(found.map((f) => f.line)).toEqual([3, 4, 5]);
    expect(found[2]?.message).toContain('"main-lobby"');
    expect(found[0]?.fix).toContain("hash(key) % 16");
  });

  it("does not flag names derived from the entity", async () => {
    const dir = worker(`export async function f(env: Env, user: string) {
  env.ROOMS.idFromName(\`cart:\${user}\`);
  env.ROOMS.idFromName(user);
}
`);
    expect(await findingsOf(dir, analyzers, "code/singleton-durable-object")).toEqual([]);
  });
});

describe("code/unvalidated-r2-key", () => {
  it("flags keys from the URL, params and body", async () => {
    const dir = worker(`import { Hono } from "hono";
const app = new Hono<{ Bindings: Env }>();
app.get("/f/:name", async (c) => c.body((await c.env.FILES.get(c.req.param("name")))?.body ?? null));
app.delete("/f/:name", async (c) => {
  const name = c.req.param("name");
  await c.env.FILES.delete(\`uploads/\${name}\`);
  return c.text("ok");
});
export default {
  async fetch(request: Request, env: Env) {
    const url = new URL(request.url);
    const key = url.pathname.slice(1);
    await env.FILES.put(key, request.body);
    const { path } = (await request.json()) as { path: string };
    await env.FILES.get(path);
    return app.fetch(request, env);
  },
};
`);
    const found = await findingsOf(dir, analyzers, "code/unvalidated-r2-key");
    expect(found.map((f) => [f.line, f.severity])).toEqual([
      [3, "info"],
      [6, "warning"],
      [13, "warning"],
      [15, "info"],
    ]);
  });

  it("does not flag validated keys or keys the server makes", async () => {
    const dir = worker(`import { Hono } from "hono";
const ID = /^[0-9a-f-]{36}$/;
const app = new Hono<{ Bindings: Env }>();
app.get("/r/:id", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return c.text("bad", 400);
  return c.body((await c.env.FILES.get(\`r/\${id}.pdf\`))?.body ?? null);
});
app.put("/u", async (c) => {
  await c.env.FILES.put(\`u/\${crypto.randomUUID()}\`, await c.req.arrayBuffer());
  const { key } = c.req.valid("json");
  await c.env.FILES.get(key);
  return c.text("ok");
});
export default app;
`);
    expect(await findingsOf(dir, analyzers, "code/unvalidated-r2-key")).toEqual([]);
  });
});

describe("code/queue-without-idempotency", () => {
  it("flags a handler that acts on messages without de-duplication", async () => {
    const dir = worker(`export default {
  async queue(batch: MessageBatch<{ to: string }>, env: Env) {
    for (const msg of batch.messages) {
      await fetch("https://mail.example/send", { method: "POST", body: JSON.stringify({ to: msg.body.to }) });
      msg.ack();
    }
  },
};
`);
    const found = await findingsOf(dir, analyzers, "code/queue-without-idempotency");
    expect(found).toHaveLength(1);
    expect(found[0]?.line).toBe(2);
    expect(found[0]?.fix).toContain("env.DB.prepare(");
  });

  it("does not flag INSERT OR IGNORE, a KV processed-ID check, a wrapper, or a delegated handler that checks", async () => {
    const sql = worker(`export default {
  async queue(batch: MessageBatch<{ id: string }>, env: Env) {
    for (const msg of batch.messages) {
      await env.DB.prepare("INSERT OR IGNORE INTO events (id) VALUES (?)").bind(msg.body.id).run();
    }
  },
};
`);
    expect(await findingsOf(sql, analyzers, "code/queue-without-idempotency")).toEqual([]);
    const kv = worker(`async function handle(batch: MessageBatch, env: Env) {
  for (const m of batch.messages) {
    if (await env.CONFIG.get(\`done:\${m.id}\`)) continue;
  }
}
export default { queue: handle };
`);
    expect(await findingsOf(kv, analyzers, "code/queue-without-idempotency")).toEqual([]);
    const wrapped = worker(`import { idempotentConsumer } from "blastwall/queues";
export default { queue: idempotentConsumer({ handle: async () => {} }) };
`);
    expect(await findingsOf(wrapped, analyzers, "code/queue-without-idempotency")).toEqual([]);
    const data = worker(`export default { fetch() { return new Response(); } };
export const settings = { fetch: true, queue: "orders" } as const;
`);
    expect(await findingsOf(data, analyzers, "code/queue-without-idempotency")).toEqual([]);
  });
});

describe("code/queue-without-idempotency: shorthand handlers", () => {
  it("reads the function a shorthand `queue` member names: its upsert clears it, its POST does not", async () => {
    const upsert = worker(`async function queue(batch: MessageBatch<{ repo: string }>, env: Env) {
  for (const m of batch.messages) {
    await env.DB.prepare("INSERT OR IGNORE INTO scans (repo) VALUES (?)").bind(m.body.repo).run();
    m.ack();
  }
}
async function fetch() { return new Response(); }
export default { fetch, queue };
`);
    expect(await findingsOf(upsert, analyzers, "code/queue-without-idempotency")).toEqual([]);
    const post = worker(`async function queue(batch: MessageBatch<{ to: string }>, env: Env) {
  for (const m of batch.messages) {
    await fetch("https://mail.example/send", { method: "POST", body: m.body.to });
    m.ack();
  }
}
export default { fetch: () => new Response(), queue };
`);
    expect((await findingsOf(post, analyzers, "code/queue-without-idempotency")).map((f) => f.line)).toEqual([7]);
  });
});

describe("code/queue-without-idempotency: only consumers with effects", () => {
  it("does not flag a consumer that only logs and acks, but flags one that writes", async () => {
    const quiet = worker(`export default {
  async queue(batch: MessageBatch, env: Env) {
    for (const m of batch.messages) {
      try { console.log("got", m.id, JSON.stringify(m.body)); m.ack(); } catch { m.retry(); }
    }
  },
};
`);
    expect(await findingsOf(quiet, analyzers, "code/queue-without-idempotency")).toEqual([]);
    const busy = worker(`export default {
  async queue(batch: MessageBatch<{ n: number }>, env: Env) {
    for (const m of batch.messages) {
      console.log("got", m.id);
      await env.DB.prepare("UPDATE counters SET n = n + ?").bind(m.body.n).run();
      m.ack();
    }
  },
};
`);
    expect((await findingsOf(busy, analyzers, "code/queue-without-idempotency")).map((f) => f.line)).toEqual([2]);
  });

  it("follows the handler into imported helpers and counts a query builder's onConflictDoNothing() as de-duplication", async () => {
    const dir = writeProject({
      "wrangler.json": JSON.stringify({ name: "ingest", main: "src/index.ts", compatibility_date: "2025-01-01" }),
      "src/ingest.ts": `export async function ingest(orm: Orm, rows: Row[]) {
  for (const r of rows) await orm.insert(items).values(r).onConflictDoNothing();
}
export async function handleBatch(batch: MessageBatch<{ rows: Row[] }>, env: Env) {
  for (const m of batch.messages) await ingest(drizzle(env.DB), m.body.rows);
}
export async function notify(batch: MessageBatch<{ to: string }>, env: Env) {
  for (const m of batch.messages) await env.MAIL.send(m.body.to);
}
`,
      "src/index.ts": `import { handleBatch, notify } from "./ingest";
export default {
  async queue(batch: MessageBatch, env: Env) {
    if (batch.queue === "ingest") await handleBatch(batch, env);
  },
};
export class Mailer {
  async queue(batch: MessageBatch, env: Env) {
    await notify(batch, env);
  }
}
`,
    });
    expect((await findingsOf(dir, analyzers, "code/queue-without-idempotency")).map((f) => f.line)).toEqual([8]);
  });
});

describe("code/kv-read-after-write", () => {
  it("flags a get of the key just put", async () => {
    const dir = worker(`export async function f(env: Env, k: string) {
  await env.CONFIG.put(\`flag:\${k}\`, "on");
  const v = await env.CONFIG.get(\`flag:\${k}\`);
  return v === "on";
}
`);
    const found = await findingsOf(dir, analyzers, "code/kv-read-after-write");
    expect(found).toHaveLength(1);
    expect(found[0]?.line).toBe(3);
  });

  it("does not flag other keys, other functions, or R2 buckets", async () => {
    const dir = worker(`export async function f(env: Env) {
  await env.CONFIG.put("a", "1");
  await env.CONFIG.get("b");
  await env.FILES.put("a", "1");
  await env.FILES.get("a");
}
export async function g(env: Env) {
  return env.CONFIG.get("a");
}
`);
    expect(await findingsOf(dir, analyzers, "code/kv-read-after-write")).toEqual([]);
  });

  it("does not flag a put and a get in the two arms of one if/else, but flags one after the if", async () => {
    const dir = worker(`export async function f(env: Env, down: boolean) {
  if (down) {
    const key = "fail";
    await env.CONFIG.put(key, "1");
  } else {
    const key = "fail";
    if (await env.CONFIG.get(key)) await env.CONFIG.delete(key);
  }
  return down ? env.CONFIG.put("x", "1") : env.CONFIG.get("x");
}
export async function g(env: Env, down: boolean) {
  if (down) await env.CONFIG.put("k", "1");
  return env.CONFIG.get("k");
}
`);
    expect((await findingsOf(dir, analyzers, "code/kv-read-after-write")).map((f) => f.line)).toEqual([13]);
  });
});

describe("code/r2-unquoted-etag", () => {
  it("flags etag in headers.set, c.header and a headers object", async () => {
    const dir = worker(`export async function f(env: Env, c: Ctx) {
  const obj = await env.FILES.get("a");
  if (!obj) return;
  const h = new Headers();
  h.set("ETag", obj.etag);
  c.header("etag", obj.etag);
  return new Response(obj.body, { headers: { ETag: obj.etag } });
}
`);
    const found = await findingsOf(dir, analyzers, "code/r2-unquoted-etag");
    expect(found.map((f) => f.line)).toEqual([5, 6, 7]);
    expect(found[0]?.fix).toContain("obj.httpEtag");
  });

  it("does not flag httpEtag or a manually quoted etag", async () => {
    const dir = worker(`export async function f(env: Env) {
  const obj = await env.FILES.get("a");
  if (!obj) return;
  const h = new Headers();
  h.set("etag", obj.httpEtag);
  h.set("ETag", \`"\${obj.etag}"\`);
  return Response.json({ etag: obj.etag });
}
`);
    expect(await findingsOf(dir, analyzers, "code/r2-unquoted-etag")).toEqual([]);
  });

  it("flags the etag of a typed R2 object and of a list() element, not a helper's own etag field", async () => {
    const dir = worker(`export function serve(obj: R2ObjectBody) {
  return new Response(obj.body, { headers: { ETag: obj.etag } });
}
export async function index(env: Env, c: { get(k: "storage"): R2Bucket }) {
  const listed = await c.get("storage").list();
  const h = new Headers();
  for (const o of listed.objects) h.append("ETag", o.etag);
  return h;
}
async function cached(env: Env): Promise<{ etag: string; bytes: ArrayBuffer }> {
  const obj = await env.FILES.get("thumb");
  if (!obj) throw new Error("none");
  return { etag: obj.httpEtag, bytes: await obj.arrayBuffer() };
}
export async function thumb(env: Env) {
  const acquired = await cached(env);
  const headers = new Headers();
  headers.set("ETag", acquired.etag);
  return new Response(acquired.bytes, { headers });
}
`);
    expect((await findingsOf(dir, analyzers, "code/r2-unquoted-etag")).map((f) => f.line)).toEqual([2, 7]);
  });
});

describe("code/http-and-queue-in-one-worker", () => {
  it("reports a default export with fetch and queue, as info", async () => {
    const dir = worker(`const handler = {
  async fetch() { return new Response("ok"); },
  async queue(batch: MessageBatch) { for (const m of batch.messages) m.ack(); /* blastwall-ignore code/queue-without-idempotency: acks only */ },
};
export default handler;
`);
    const found = await findingsOf(dir, analyzers, "code/http-and-queue-in-one-worker");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "info", line: 3 });
    expect(found[0]?.fix).toContain("shop-consumer");
  });

  it("does not report HTTP-only or queue-only Workers, or non-entry modules", async () => {
    const dir = worker(`export default { async fetch() { return new Response("ok"); } };`, {
      "other.ts": "export default { fetch() {}, queue() {} };",
    });
    expect(await findingsOf(dir, analyzers, "code/http-and-queue-in-one-worker")).toEqual([]);
  });
});

describe("code suppressions", () => {
  it("drops a finding under `// blastwall-ignore <rule>: <reason>` and reports one without a reason", async () => {
    const dir = worker(`export async function f(env: Env) {
  // blastwall-ignore code/singleton-durable-object: the lobby takes < 1 req/s
  env.ROOMS.idFromName("lobby");
  // blastwall-ignore code/singleton-durable-object
  env.ROOMS.idFromName("other");
}
`);
    const found = await findingsOf(dir, analyzers);
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ["suppression/missing-reason", 4],
      ["code/singleton-durable-object", 5],
    ]);
  });
});
