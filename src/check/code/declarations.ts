import ts from "typescript";
import { findDeclaration } from "./ast.js";
import { hasExportModifier } from "./module-exports.js";
import type { CodeModules } from "./modules.js";

/**
 * What a name refers to, across the project's own modules: a variable, parameter or destructured name in scope,
 * a top-level function, enum or class, or (through `import`) the declaration another project file exports.
 * A namespace import (`import * as C`) resolves to the module's SourceFile.
 */
export type Resolved =
  | ts.VariableDeclaration
  | ts.ParameterDeclaration
  | ts.BindingElement
  | ts.FunctionDeclaration
  | ts.EnumDeclaration
  | ts.ClassDeclaration
  | ts.SourceFile;

const MAX_HOPS = 6;

function specifierOf(st: ts.ImportDeclaration | ts.ExportDeclaration): string | undefined {
  return st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
}

/** A declaration named `name` at the top of `sf` (exported or not). */
function ownTopLevel(sf: ts.SourceFile, name: string, exported: boolean): Resolved | undefined {
  for (const st of sf.statements) {
    if (exported && !hasExportModifier(st)) continue;
    if (ts.isVariableStatement(st)) {
      const d = st.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === name);
      if (d) return d;
    } else if (
      (ts.isFunctionDeclaration(st) || ts.isEnumDeclaration(st) || ts.isClassDeclaration(st)) &&
      st.name?.text === name &&
      (!ts.isFunctionDeclaration(st) || st.body)
    ) {
      return st;
    }
  }
  return undefined;
}

/** The declaration an `import { name }` / `import * as name` of `sf` brings in. */
function imported(sf: ts.SourceFile, name: string, modules: CodeModules, hops: number): Resolved | undefined {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause?.namedBindings) continue;
    const spec = specifierOf(st);
    const bindings = st.importClause.namedBindings;
    if (!spec) continue;
    if (ts.isNamespaceImport(bindings)) {
      if (bindings.name.text !== name) continue;
      const target = modules.resolve(sf.fileName, spec);
      return target ? modules.source(target) : undefined;
    }
    const el = bindings.elements.find((e) => e.name.text === name);
    if (!el) continue;
    const target = modules.resolve(sf.fileName, spec);
    return target ? exportedDeclaration(target, (el.propertyName ?? el.name).text, modules, hops + 1) : undefined;
  }
  return undefined;
}

/** A top-level name of `sf`: declared there, or imported from another project file. */
function topLevel(
  sf: ts.SourceFile,
  name: string,
  modules: CodeModules | undefined,
  hops: number,
): Resolved | undefined {
  return ownTopLevel(sf, name, false) ?? (modules ? imported(sf, name, modules, hops) : undefined);
}

/**
 * The declaration the module at `path` exports as `name`, following `export { a as b }`, `export … from` and
 * `export *` through the project's files.
 *
 * @example
 * exportedDeclaration("/app/src/sql.ts", "COLUMNS", modules); // the `export const COLUMNS = [...]` declaration
 */
export function exportedDeclaration(path: string, name: string, modules: CodeModules, hops = 0): Resolved | undefined {
  const sf = hops <= MAX_HOPS ? modules.source(path) : undefined;
  if (!sf) return undefined;
  const own = ownTopLevel(sf, name, true);
  if (own) return own;
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || st.isTypeOnly) continue;
    const spec = specifierOf(st);
    const target = spec ? modules.resolve(path, spec) : undefined;
    if (st.exportClause && ts.isNamedExports(st.exportClause)) {
      const el = st.exportClause.elements.find((e) => e.name.text === name);
      if (!el) continue;
      const local = (el.propertyName ?? el.name).text;
      if (spec) return target ? exportedDeclaration(target, local, modules, hops + 1) : undefined;
      return topLevel(sf, local, modules, hops + 1);
    }
    if (!st.exportClause && target) {
      const found = exportedDeclaration(target, name, modules, hops + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * What identifier `id` refers to: the nearest declaration in its file, else a top-level or imported one.
 *
 * @example
 * // import { TABLE } from "./schema.js"; db.prepare(`SELECT * FROM ${TABLE}`)
 * resolveName(tableIdentifier, modules); // `export const TABLE = "users"` in schema.ts
 */
export function resolveName(id: ts.Identifier, modules?: CodeModules): Resolved | undefined {
  return findDeclaration(id.text, id) ?? topLevel(id.getSourceFile(), id.text, modules, 0);
}

/** The declaration `ns.name` refers to when `ns` is a namespace import of a project file. */
export function resolveMember(
  access: ts.PropertyAccessExpression,
  modules: CodeModules | undefined,
): Resolved | undefined {
  const base = access.expression;
  if (!modules || !ts.isIdentifier(base)) return undefined;
  const target = resolveName(base, modules);
  return target && ts.isSourceFile(target)
    ? exportedDeclaration(target.fileName, access.name.text, modules)
    : undefined;
}
