import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readsWholeCode, specifiers } from "./code-reach.js";

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
});
