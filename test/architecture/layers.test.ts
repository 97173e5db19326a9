import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findCycles, type ImportEdge, importGraph, importSpecifiers, sourceFiles } from "./import-graph.js";
import { layerViolations } from "./layers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const edge = (from: string, to: string): ImportEdge => ({ from, to });

describe("the checker itself", () => {
  it("reads static, type-only, re-exported and dynamic imports", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "./b.js";',
      'export { c } from "./c.js";',
      'export * from "./d.js";',
      'const e = await import("./e.js");',
      'let f: import("./f.js").F;',
      'import "node:fs";',
    ].join("\n");
    expect(importSpecifiers("x.ts", text)).toEqual([
      "./a.js",
      "./b.js",
      "./c.js",
      "./d.js",
      "./e.js",
      "./f.js",
      "node:fs",
    ]);
  });

  it("finds a cycle, and none in a tree", () => {
    const loop = [edge("src/x/a.ts", "src/x/b.ts"), edge("src/x/b.ts", "src/x/c.ts"), edge("src/x/c.ts", "src/x/a.ts")];
    expect(findCycles(loop)).toEqual([["src/x/a.ts", "src/x/b.ts", "src/x/c.ts", "src/x/a.ts"]]);
    expect(findCycles([edge("src/x/a.ts", "src/x/b.ts"), edge("src/x/a.ts", "src/x/c.ts")])).toEqual([]);
    expect(findCycles([edge("src/x/a.ts", "src/x/a.ts")])).toEqual([["src/x/a.ts", "src/x/a.ts"]]);
  });

  it("flags upward, peer, CLI and unplaced imports, and passes downward ones", () => {
    const found = layerViolations([
      edge("src/core/errors.ts", "src/release/run.ts"),
      edge("src/check/a.ts", "src/platform/b.ts"),
      edge("src/release/run.ts", "src/cli/output.ts"),
      edge("src/mystery/a.ts", "src/core/b.ts"),
      edge("src/cli/main.ts", "src/core/errors.ts"),
      edge("src/release/run.ts", "src/runtime/ops/names.ts"),
    ]);
    expect(found.map((v) => [v.from, v.to])).toEqual([
      ["src/core/errors.ts", "src/release/run.ts"],
      ["src/check/a.ts", "src/platform/b.ts"],
      ["src/release/run.ts", "src/cli/output.ts"],
      ["src/mystery/a.ts", "src/core/b.ts"],
    ]);
    expect(found[0]?.rule).toMatch(/^core must not import release, a higher layer \(runtime < core < project/);
    expect(found[1]?.rule).toMatch(/^check must not import its peer platform/);
    expect(found[2]?.rule).toBe("nothing outside src/cli imports src/cli");
  });
});

describe("the layers of src", () => {
  const edges = importGraph(root);

  it("sees the project's imports", () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual(edge("src/cli/bin.ts", "src/cli/main.ts"));
  });

  it("has no import cycle", () => {
    const cycles = findCycles(edges).map((c) => `import cycle: ${c.join(" -> ")}`);
    expect(cycles).toEqual([]);
  });

  it("imports only downward, and nothing outside src/cli imports src/cli", () => {
    const found = layerViolations(edges).map((v) => `${v.from} imports ${v.to}: ${v.rule}`);
    expect(found).toEqual([]);
  });

  it("names no file of src/cli by path from outside it (the CLI injects what it owns, e.g. the edge's entry)", () => {
    const byPath = /\b(?:join|resolve|URL)\([^;]*["'`](?:\.\.\/)*cli["'`/]/;
    const found = sourceFiles(`${root}src`)
      .filter((f) => !f.includes(`${sep}src${sep}cli${sep}`) && !f.endsWith(".test.ts"))
      .filter((f) => byPath.test(readFileSync(f, "utf8")))
      .map((f) => relative(root, f));
    expect(found).toEqual([]);
  });
});
