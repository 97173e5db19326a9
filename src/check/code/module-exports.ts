import { statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";
import { listSources } from "./files.js";
import { parseSourceFile } from "./source.js";

/** Maps a relative import specifier to a file on disk: `./cart.js` may be written as `cart.ts`. */
export function resolveImport(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return resolveModuleFile(resolve(dirname(fromFile), specifier));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The source file an absolute module path names, trying the extensions and index files TypeScript would. */
export function resolveModuleFile(base: string): string | undefined {
  const stem = base.replace(/\.(m|c)?(j|t)sx?$/, "");
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    `${stem}.js`,
    `${stem}.mjs`,
    `${base}/index.ts`,
    `${base}/index.js`,
  ];
  // `./repositories` names a folder: its index file, never the folder itself.
  return candidates.find((c) => isFile(c));
}

/** Whether a statement carries `export`. */
export function hasExportModifier(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/**
 * The names a module exports, following `export … from` and `export *` into other files of the project.
 * Returns undefined when the module cannot be read or parsed, so callers can tell "unknown" from "not exported".
 *
 * @example
 * moduleExports("src/index.ts")?.has("Cart"); // true for `export { Cart } from "./cart.js"`
 */
export function moduleExports(path: string, seen: Set<string> = new Set()): Set<string> | undefined {
  if (seen.has(path)) return new Set();
  seen.add(path);
  const parsed = parseSourceFile(path);
  if (!parsed.ok) return undefined;
  const names = new Set<string>();
  for (const st of parsed.sf.statements) {
    if (ts.isExportDeclaration(st)) {
      const from = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
      if (st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) names.add(el.name.text);
      } else if (st.exportClause && ts.isNamespaceExport(st.exportClause)) {
        names.add(st.exportClause.name.text);
      } else if (from) {
        const target = resolveImport(path, from);
        for (const n of (target && moduleExports(target, seen)) || []) if (n !== "default") names.add(n);
      }
      continue;
    }
    if (!hasExportModifier(st)) continue;
    if ((ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st)) && st.name) names.add(st.name.text);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
    }
  }
  return names;
}

/**
 * The file under `dir` that declares class `name` at top level, for fixes that say where to export it from.
 * Parses files only until it finds one.
 *
 * @example
 * findClassFile("src", "ChatRoom"); // "/abs/src/chat-room.ts"
 */
export function findClassFile(dir: string, name: string): string | undefined {
  for (const path of listSources(dir)) {
    const parsed = parseSourceFile(path);
    if (!parsed.ok) continue;
    if (parsed.sf.statements.some((st) => ts.isClassDeclaration(st) && st.name?.text === name)) return path;
  }
  return undefined;
}

/** The specifier to import `target` from `fromFile`, as NodeNext wants it (`./x.js`). */
export function importSpecifier(fromFile: string, target: string): string {
  const rel = relative(dirname(fromFile), target)
    .replace(/\\/g, "/")
    .replace(/\.(m|c)?tsx?$/, ".$1js");
  return rel.startsWith(".") ? rel : `./${rel}`;
}
