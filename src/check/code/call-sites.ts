import ts from "typescript";
import { walk } from "./ast.js";
import { resolveMember, resolveName } from "./declarations.js";
import type { Fold } from "./fold.js";
import { hasExportModifier } from "./module-exports.js";
import type { CodeModules } from "./modules.js";

/** Past this many call sites a parameter is not traced (cost bound). */
const MAX_CALL_SITES = 256;

/**
 * The declaration that names a function, and the name: `function f`, `const f = (…) => …`, or a class whose
 * constructor it is (called as `new C(…)`).
 */
function namedFunction(fn: ts.SignatureDeclaration): { decl: ts.Node; name: ts.Identifier } | undefined {
  if (ts.isFunctionDeclaration(fn) && fn.name) return { decl: fn, name: fn.name };
  if (ts.isConstructorDeclaration(fn) && ts.isClassDeclaration(fn.parent) && fn.parent.name)
    return { decl: fn.parent, name: fn.parent.name };
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent)) {
    const v = fn.parent;
    if (ts.isIdentifier(v.name) && ts.getCombinedNodeFlags(v) & ts.NodeFlags.Const) return { decl: v, name: v.name };
  }
  return undefined;
}

function isExported(decl: ts.Node, name: string): boolean {
  const statement = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
  if (hasExportModifier(statement)) return true;
  return decl
    .getSourceFile()
    .statements.some(
      (st) =>
        (ts.isExportDeclaration(st) &&
          !st.moduleSpecifier &&
          st.exportClause &&
          ts.isNamedExports(st.exportClause) &&
          st.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === name)) ||
        (ts.isExportAssignment(st) && ts.isIdentifier(st.expression) && st.expression.text === name),
    );
}

type Call = ts.CallExpression | ts.NewExpression;

const identifierIndex = new WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>();

/** Every identifier of a file by name, gathered once per file so call-site searches stay linear. */
function identifiersOf(sf: ts.SourceFile): Map<string, ts.Identifier[]> {
  let index = identifierIndex.get(sf);
  if (!index) {
    const built = new Map<string, ts.Identifier[]>();
    walk(sf, (n) => {
      if (ts.isIdentifier(n)) {
        const list = built.get(n.text);
        if (list) list.push(n);
        else built.set(n.text, [n]);
      }
      return undefined;
    });
    index = built;
    identifierIndex.set(sf, index);
  }
  return index;
}

/** A property or member name (`x.count`, `{ count: 1 }`, `count() {}`), not a reference to a variable. */
function isKey(n: ts.Identifier): boolean {
  const p = n.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === n) ||
    ((ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isPropertySignature(p) ||
      ts.isAccessor(p) ||
      ts.isEnumMember(p)) &&
      p.name === n)
  );
}

/**
 * A name in a type position (`x: Repo`, `implements Repo`): no call, and no value escapes. `extends Repo` is not
 * one: a subclass reaches the constructor through `super(…)`, which this search does not see.
 */
function inType(n: ts.Identifier): boolean {
  const p = n.parent;
  if (ts.isExpressionWithTypeArguments(p))
    return ts.isHeritageClause(p.parent) && p.parent.token === ts.SyntaxKind.ImplementsKeyword;
  return ts.isTypeReferenceNode(p) || ts.isTypeQueryNode(p);
}

/**
 * Every reference to the function in `files` (its own file and the files that import it); undefined when one is
 * not a plain call (passed as a value, re-exported), so its arguments cannot all be seen.
 */
function callSites(decl: ts.Node, name: ts.Identifier, files: ts.SourceFile[], f: Fold): Call[] | undefined {
  const calls: Call[] = [];
  for (const sf of files) {
    for (const n of identifiersOf(sf).get(name.text) ?? []) {
      const parent = n.parent;
      if (n === name || ts.isImportSpecifier(parent) || ts.isImportClause(parent) || inType(n)) continue;
      // `export { f }` of its own module: the importers, searched too, hold the calls; under another name
      // (`export { f as g }`) they call `g`, which this search by name would miss.
      if (ts.isExportSpecifier(parent) && !parent.parent.parent.moduleSpecifier && sf === decl.getSourceFile()) {
        if (parent.propertyName) return undefined;
        continue;
      }
      // `repo.save(…)` through `import * as repo`: a call of the function, not a property of something else.
      const member = isKey(n) && ts.isPropertyAccessExpression(parent) && resolveMember(parent, f.modules) === decl;
      if (member) {
        if (!ts.isCallExpression(parent.parent) || parent.parent.expression !== parent) return undefined;
        calls.push(parent.parent);
        continue;
      }
      if (isKey(n)) continue;
      if (resolveName(n, f.modules) !== decl) continue;
      if (!(ts.isCallExpression(parent) || ts.isNewExpression(parent)) || parent.expression !== n) return undefined;
      calls.push(parent);
    }
  }
  return calls.length > MAX_CALL_SITES ? undefined : calls;
}

/** Past this many files a module's importers (through re-exports) are not listed. */
const MAX_IMPORTERS = 64;

/** Whether `sf` re-exports from `target` (`export * from "./x"`, `export { a } from "./x"`). */
function reExports(sf: ts.SourceFile, target: string, modules: CodeModules): boolean {
  return sf.statements.some(
    (st) =>
      ts.isExportDeclaration(st) &&
      !!st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier) &&
      modules.resolve(sf.fileName, st.moduleSpecifier.text) === target,
  );
}

/**
 * The files that import `own`, also through barrels that re-export it (`repositories/index.ts`); undefined past
 * MAX_IMPORTERS, since a partial list would hide callers.
 */
function importersThrough(own: ts.SourceFile, modules: CodeModules): ts.SourceFile[] | undefined {
  const out: ts.SourceFile[] = [];
  const queue = [own];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const sf of modules.importers(next.fileName)) {
      if (sf === own || out.includes(sf)) continue;
      if (out.push(sf) > MAX_IMPORTERS) return undefined;
      if (reExports(sf, next.fileName, modules)) queue.push(sf);
    }
  }
  return out;
}

/**
 * Whether every call of the parameter's function passes a constant in its place (or leaves it to a constant
 * default), looking at the function's file and, when it is exported, at the project files that import it.
 *
 * @example
 * // function insert(db, table: string, cols: string[]) { db.prepare(`INSERT INTO ${table} …`) }
 * // insert(db, "users", ["id", "name"]); insert(db, "carts", ["id"]);
 * constantParameter(tableParam, fold, { undefinedIsConstant: true }, constantText); // true
 */
export function constantParameter(
  p: ts.ParameterDeclaration,
  f: Fold,
  { undefinedIsConstant }: { undefinedIsConstant: boolean },
  constant: (e: ts.Expression, f: Fold) => boolean,
): boolean {
  if (f.bound.has(p)) {
    const arg = f.bound.get(p);
    if (arg) return constant(arg, f);
    return p.initializer ? constant(p.initializer, f) : undefinedIsConstant;
  }
  const fn = p.parent;
  const named = namedFunction(fn);
  if (!named || p.dotDotDotToken || f.visiting.has(p)) return false;
  const index = fn.parameters.indexOf(p);
  const own = named.decl.getSourceFile();
  const files = [own];
  if (isExported(named.decl, named.name.text)) {
    const importers = f.modules && importersThrough(own, f.modules);
    if (!importers) return false;
    files.push(...importers);
  }
  f.visiting.add(p);
  try {
    const calls = callSites(named.decl, named.name, files, f);
    if (!calls || calls.length === 0) return false;
    return calls.every((call) => {
      const args = call.arguments ?? [];
      if (args.slice(0, index).some(ts.isSpreadElement)) return false;
      const arg = args[index];
      if (arg) return !ts.isSpreadElement(arg) && constant(arg, f);
      return p.initializer ? constant(p.initializer, f) : undefinedIsConstant;
    });
  } finally {
    f.visiting.delete(p);
  }
}
