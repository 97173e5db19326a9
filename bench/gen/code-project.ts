import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CodeProjectOptions {
  /** TypeScript files under src/ (the entry module included). */
  files: number;
  /** Where to write; a fresh temp dir by default. */
  dir?: string;
  /** One file in `issueEvery` carries an interpolated SQL statement, so the rules have something to report. */
  issueEvery?: number;
}

const CONFIG = {
  name: "bench-app",
  main: "src/index.ts",
  compatibility_date: "2025-06-01",
  d1_databases: [{ binding: "DB", database_name: "app", database_id: "00000000-0000-0000-0000-000000000000" }],
  kv_namespaces: [{ binding: "CACHE", id: "0123456789abcdef0123456789abcdef" }],
  r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
  durable_objects: { bindings: [{ name: "ROOMS", class_name: "Room" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["Room"] }],
  queues: { producers: [{ binding: "EVENTS", queue: "events" }] },
};

/** One route module: a Hono router over D1, KV, R2 and a Durable Object, in the style of examples/shop. */
function routeModule(i: number, withIssue: boolean): string {
  const entity = `item${i}`;
  const sql = withIssue
    ? `c.env.DB.prepare(\`SELECT * FROM ${entity}s WHERE owner = '\${owner}'\`)`
    : `c.env.DB.prepare("SELECT * FROM ${entity}s WHERE owner = ? ORDER BY created_at DESC LIMIT 50").bind(owner)`;
  return `import { Hono } from "hono";
import type { Env } from "../env.js";
import { parse${i}, type ${cap(entity)}Input } from "../lib/validate-${i % 50}.js";

const ID = /^[0-9a-f-]{36}$/;
const OWNER = /^[\\w-]{1,64}$/;

export const ${entity} = new Hono<{ Bindings: Env }>();

${entity}.get("/", async (c) => {
  const owner = c.req.query("owner") ?? "";
  if (!OWNER.test(owner)) return c.json({ error: "bad owner" }, 400);
  const cached = await c.env.CACHE.get(\`${entity}:list:\${owner}\`);
  if (cached) return c.json(JSON.parse(cached));
  const { results } = await ${sql}.all();
  await c.env.CACHE.put(\`${entity}:list:\${owner}\`, JSON.stringify(results), { expirationTtl: 60 });
  return c.json({ results });
});

${entity}.get("/:id", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return c.json({ error: "bad id" }, 400);
  const row = await c.env.DB.prepare("SELECT * FROM ${entity}s WHERE id = ?").bind(id).first();
  if (!row) return c.json({ error: "not found" }, 404);
  return c.json(row);
});

${entity}.post("/", async (c) => {
  const input: ${cap(entity)}Input | string = parse${i}(await c.req.json().catch(() => null));
  if (typeof input === "string") return c.json({ error: input }, 400);
  const id = crypto.randomUUID();
  await c.env.DB.batch([
    c.env.DB.prepare("INSERT INTO ${entity}s (id, owner, name, qty) VALUES (?, ?, ?, ?)").bind(id, input.owner, input.name, input.qty),
    c.env.DB.prepare("INSERT INTO audit (entity, entity_id, action) VALUES (?, ?, 'create')").bind("${entity}", id),
  ]);
  await c.env.EVENTS.send({ type: "${entity}.created", v: 1, id }, { contentType: "json" });
  return c.json({ id }, 201);
});

${entity}.put("/:id/file", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return c.json({ error: "bad id" }, 400);
  const put = await c.env.FILES.put(\`${entity}/\${id}\`, await c.req.arrayBuffer(), { onlyIf: { etagDoesNotMatch: "*" } });
  if (put === null) return c.json({ error: "exists" }, 409);
  return c.json({ etag: put.httpEtag }, 201);
});

${entity}.get("/:id/file", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return c.json({ error: "bad id" }, 400);
  const obj = await c.env.FILES.get(\`${entity}/\${id}\`);
  if (!obj) return c.json({ error: "not found" }, 404);
  const headers = new Headers();
  obj.writeHttpMetadata(headers);
  headers.set("etag", obj.httpEtag);
  return new Response(obj.body, { headers });
});

${entity}.post("/:id/room", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) return c.json({ error: "bad id" }, 400);
  const stub = c.env.ROOMS.get(c.env.ROOMS.idFromName(\`${entity}:\${id}\`));
  return c.json({ members: await stub.join(id) });
});
`;
}

function validateModule(i: number): string {
  return `export interface Input${i} { owner: string; name: string; qty: number }

/** Checks a request body; returns the typed input or a message for a 400. */
export function check${i}(body: unknown): Input${i} | string {
  if (typeof body !== "object" || body === null) return "body must be an object";
  const { owner, name, qty } = body as Record<string, unknown>;
  if (typeof owner !== "string" || !/^[\\w-]{1,64}$/.test(owner)) return "owner must be 1-64 word characters";
  if (typeof name !== "string" || name.length === 0 || name.length > 200) return "name must be 1-200 characters";
  if (!Number.isInteger(qty) || (qty as number) < 0) return "qty must be a non-negative integer";
  return { owner, name, qty: qty as number };
}
`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Writes a Worker project with `files` TypeScript files: an entry module, an Env, a Durable Object class,
 * shared validators and route modules (Hono over D1, KV, R2, a DO and a queue). Deterministic for a given size.
 *
 * @example
 * const dir = generateCodeProject({ files: 1000 }); // then runCheck(dir)
 */
export function generateCodeProject({
  files,
  dir = mkdtempSync(join(tmpdir(), "bw-bench-code-")),
  issueEvery = 100,
}: CodeProjectOptions): string {
  const src = join(dir, "src");
  mkdirSync(join(src, "routes"), { recursive: true });
  mkdirSync(join(src, "lib"), { recursive: true });
  writeFileSync(join(dir, "wrangler.jsonc"), `${JSON.stringify(CONFIG, null, 2)}\n`);
  const validators = Math.min(50, Math.max(1, Math.floor(files / 20)));
  const routes = Math.max(1, files - 3 - validators);
  writeFileSync(
    join(src, "env.ts"),
    `import type { Room } from "./room.js";\nexport interface Env {\n  DB: D1Database;\n  CACHE: KVNamespace;\n  FILES: R2Bucket;\n  ROOMS: DurableObjectNamespace<Room>;\n  EVENTS: Queue;\n}\n`,
  );
  writeFileSync(
    join(src, "room.ts"),
    `import { DurableObject } from "cloudflare:workers";\n\nexport class Room extends DurableObject {\n  async join(member: string): Promise<string[]> {\n    const members = (await this.ctx.storage.get<string[]>("members")) ?? [];\n    if (!members.includes(member)) members.push(member);\n    await this.ctx.storage.put("members", members);\n    return members;\n  }\n}\n`,
  );
  for (let v = 0; v < validators; v++) writeFileSync(join(src, "lib", `validate-${v}.ts`), validateModule(v));
  const imports: string[] = [];
  const mounts: string[] = [];
  for (let i = 0; i < routes; i++) {
    const v = i % 50;
    // Each route imports `parse<i>` from its validator; alias the validator's function to that name.
    const text = routeModule(i, issueEvery > 0 && i % issueEvery === issueEvery - 1).replace(
      `import { parse${i}, type ${cap(`item${i}`)}Input } from "../lib/validate-${v}.js";`,
      `import { check${v % validators} as parse${i}, type Input${v % validators} as ${cap(`item${i}`)}Input } from "../lib/validate-${v % validators}.js";`,
    );
    writeFileSync(join(src, "routes", `item${i}.ts`), text);
    imports.push(`import { item${i} } from "./routes/item${i}.js";`);
    mounts.push(`app.route("/item${i}", item${i});`);
  }
  writeFileSync(
    join(src, "index.ts"),
    `import { Hono } from "hono";\nimport type { Env } from "./env.js";\n${imports.join("\n")}\n\nexport { Room } from "./room.js";\n\nconst app = new Hono<{ Bindings: Env }>();\n${mounts.join("\n")}\n\nexport default app;\n`,
  );
  return dir;
}
