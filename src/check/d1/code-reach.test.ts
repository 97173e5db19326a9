import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { reachedFrom, readsWholeCode, specifiers } from "./code-reach.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "blastwall-reach-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("readsWholeCode", () => {
  it("lists what a source imports, exports from or requires", () => {
    const text = `import a from "./a";\nimport type { B } from '../b';\nexport * from "./c";\nimport "./d";\nconst e = await import("e");\nconst f = require("node:fs");`;
    expect(specifiers(text)).toEqual(["./a", "../b", "./c", "./d", "e", "node:fs"]);
  });
  it("is true for imports inside the folder, runtime modules and registry packages declared above it", () => {
    const dir = project({ "package.json": JSON.stringify({ dependencies: { hono: "^4", "@scope/x": "1.0.0" } }) });
    const files = [
      { path: join(dir, "src/index.ts"), text: 'import { Hono } from "hono";\nimport "./routes/a";' },
      {
        path: join(dir, "src/routes/a.ts"),
        text: 'import x from "@scope/x/sub";\nimport { env } from "cloudflare:workers";\nimport y from "../lib";',
      },
    ];
    expect(readsWholeCode(join(dir, "src"), files, dir)).toBe(true);
  });
  it("is false for a relative import above the folder, a workspace package, or an undeclared name (an alias)", () => {
    const dir = project({
      "package.json": JSON.stringify({ dependencies: { "@app/db": "workspace:*", "@app/auth": "^1.0.0", hono: "^4" } }),
      "packages/auth/package.json": JSON.stringify({ name: "@app/auth" }),
    });
    const at = (text: string) => readsWholeCode(join(dir, "src"), [{ path: join(dir, "src/index.ts"), text }], dir);
    expect(at('import { Hono } from "hono";')).toBe(true);
    for (const text of [
      'import a from "../shared/db";',
      'import a from "@app/db";',
      'import a from "@app/auth";',
      'import a from "@/db/schema";',
    ])
      expect(at(text), text).toBe(false);
  });
  it("passes over Node's modules named bare, packages of types only, and type-only imports, which load no code", () => {
    const dir = project({ "package.json": JSON.stringify({ dependencies: { hono: "^4" } }) });
    const at = (text: string) => readsWholeCode(join(dir, "src"), [{ path: join(dir, "src/index.ts"), text }], dir);
    for (const text of [
      'import { randomUUID } from "crypto";',
      'import { readFile } from "fs/promises";',
      'import type { D1Database } from "@cloudflare/workers-types";',
      'import type { Env } from "../../shared/env";\nexport type { Row } from "@app/db";',
      'import { Hono } from "hono";\nimport type { User } from "@app/auth";',
    ])
      expect(at(text), text).toBe(true);
    // A value import beside a type import of the same package still loads it.
    expect(at('import type { Db } from "@app/db";\nimport { db } from "@app/db";')).toBe(false);
    expect(at('import { chunk } from "lodash";')).toBe(false);
  });
});

describe("reachedFrom", () => {
  const read = (dir: string, paths: string[]) =>
    paths.map((p) => ({ path: join(dir, p), text: readFileSync(join(dir, p), "utf8") }));

  it("follows relative imports, index files and lazy literal imports from the entry, and leaves out what none reaches", () => {
    const dir = project({
      "src/index.tsx": `import { api } from "./routes";\nimport "./styles.css";\nexport default { fetch: () => import("./lazy.js") };`,
      "src/routes/index.ts": `export * from "./orders";`,
      "src/routes/orders.ts": "export const api = 1;",
      "src/lazy.ts": `export { Card } from "./card";`,
      "src/card.jsx": "export const Card = () => null;",
      "src/index-old.tsx": `import { api } from "./routes";`,
    });
    const files = read(dir, [
      "src/index.tsx",
      "src/routes/index.ts",
      "src/routes/orders.ts",
      "src/lazy.ts",
      "src/card.jsx",
      "src/index-old.tsx",
    ]);
    const got = reachedFrom({ entries: [join(dir, "src/index.tsx")], files });
    expect([...(got ?? [])].map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      "src/card.jsx",
      "src/index.tsx",
      "src/lazy.ts",
      "src/routes/index.ts",
      "src/routes/orders.ts",
    ]);
  });

  it("gives up (undefined) on a computed import or a folder with no script entry; passes over a missing module", () => {
    const dir = project({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Worker source holding a template literal
      "src/a.ts": "const name = 'x';\nexport default () => import(`./routes/${name}`);",
      "src/b.ts": `import { page } from "./pages";`,
      "src/pages/index.vue": "",
      "src/c.ts": `// import (later) the old router\nimport { gone } from "./missing";\nimport { d } from "./d";`,
      "src/d.ts": "export const d = 1;",
    });
    const files = read(dir, ["src/a.ts", "src/b.ts", "src/c.ts", "src/d.ts"]);
    expect(reachedFrom({ entries: [join(dir, "src/a.ts")], files })).toBeUndefined();
    expect(reachedFrom({ entries: [join(dir, "src/b.ts")], files })).toBeUndefined();
    expect(
      [...(reachedFrom({ entries: [join(dir, "src/c.ts")], files }) ?? [])].map((p) => p.slice(dir.length + 1)),
    ).toEqual(["src/c.ts", "src/d.ts"]);
  });
});
