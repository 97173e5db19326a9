import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** One import edge between two files of the project, both as paths relative to the root (with `/`). */
export interface ImportEdge {
  from: string;
  to: string;
}

/** Files of `dir` (recursively) that count as production source: `.ts`, not tests, not declarations. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "fixtures") out.push(...sourceFiles(path));
    } else if (isSourceFile(entry.name)) {
      out.push(path);
    }
  }
  return out.sort();
}

function isSourceFile(name: string): boolean {
  return name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts");
}

/**
 * Every module specifier a file names: static imports (type-only too), `export … from`, and `import("…")` calls
 * with a literal argument.
 *
 * @example
 * importSpecifiers("a.ts", 'import { x } from "./b.js"; export * from "./c.js"; await import("./d.js");');
 * // ["./b.js", "./c.js", "./d.js"]
 */
export function importSpecifiers(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) found.push(lit.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Resolves a relative specifier the way NodeNext does for our sources: `./x.js` is `./x.ts`, a folder its index. */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts"), base];
  return candidates.find((c) => c.endsWith(".ts") && existsSync(c));
}

/**
 * The import graph of the production sources under `root/src`: one edge per (importer, imported file).
 *
 * @example
 * const edges = importGraph(process.cwd());
 */
export function importGraph(root: string, dir = "src"): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const rel = (p: string) => relative(root, p).split(sep).join("/");
  for (const file of sourceFiles(join(root, dir))) {
    const seen = new Set<string>();
    for (const spec of importSpecifiers(file, readFileSync(file, "utf8"))) {
      const target = resolveSpecifier(file, spec);
      if (target === undefined || seen.has(target)) continue;
      seen.add(target);
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return edges;
}

/**
 * The import cycles of a graph, each as the list of files around it (the first file repeated at the end), one per
 * strongly connected component, so a tangle of many loops is reported once with a path through it.
 */
export function findCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const components = stronglyConnected(next);
  const cycles: string[][] = [];
  for (const comp of components) {
    const [start] = [...comp].sort();
    if (start === undefined) continue;
    const selfLoop = (next.get(start) ?? []).includes(start);
    if (comp.size < 2 && !selfLoop) continue;
    cycles.push(loopThrough(start, comp, next));
  }
  return cycles;
}

/** Tarjan's algorithm; recursive, which is fine for a few hundred files. */
function stronglyConnected(next: Map<string, string[]>): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: Set<string>[] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp = new Set<string>();
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        comp.add(w);
        if (w === v) break;
      }
      out.push(comp);
    }
  };
  for (const v of next.keys()) if (!index.has(v)) strong(v);
  return out;
}

/** A shortest path from `start` back to itself inside one component (breadth-first). */
function loopThrough(start: string, comp: Set<string>, next: Map<string, string[]>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of next.get(v) ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = prev.get(v); p !== undefined; p = prev.get(p)) path.unshift(p);
        if (path[0] !== start) path.unshift(start);
        return [...path, start];
      }
      if (!prev.has(w) && w !== start) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
