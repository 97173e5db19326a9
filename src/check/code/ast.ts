import ts from "typescript";
import { memberName, unwrap } from "../../project/handlers.js";

// Shared with the project model (worker kinds), which sits below check.
export { memberName, unwrap };

/** Depth-first walk of every node under `root`. Return false from `visit` to skip a node's children. */
export function walk(root: ts.Node, visit: (node: ts.Node) => boolean | undefined): void {
  const go = (n: ts.Node): void => {
    if (visit(n) === false) return;
    ts.forEachChild(n, go);
  };
  go(root);
}

/** The method name of a call: `prepare` in `env.DB.prepare(…)`, `f` in `f(…)`. */
export function calleeName(call: ts.CallExpression): string | undefined {
  const c = unwrap(call.expression);
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  if (ts.isElementAccessExpression(c) && ts.isStringLiteralLike(c.argumentExpression)) return c.argumentExpression.text;
  if (ts.isIdentifier(c)) return c.text;
  return undefined;
}

/** The object a method is called on: `env.DB` in `env.DB.prepare(…)`. */
export function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  const c = unwrap(call.expression);
  if (ts.isPropertyAccessExpression(c) || ts.isElementAccessExpression(c)) return unwrap(c.expression);
  return undefined;
}

/** The last name of an expression: `DB` for `c.env.DB`, `env["DB"]` or a destructured `DB`. */
export function lastName(expr: ts.Expression | undefined): string | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression)) return e.argumentExpression.text;
  return undefined;
}

/** The innermost function (or the source file) that contains a node. */
export function enclosingScope(node: ts.Node): ts.Node {
  let n: ts.Node | undefined = node.parent;
  while (n && !ts.isFunctionLike(n) && !ts.isSourceFile(n)) n = n.parent;
  return n ?? node.getSourceFile();
}

/** Per branching ancestor of `node` (an if/else or a `?:`), which arm holds it. */
function arms(node: ts.Node): Map<ts.Node, ts.Node> {
  const out = new Map<ts.Node, ts.Node>();
  let child = node;
  for (let n = node.parent; n; child = n, n = n.parent) {
    if (ts.isIfStatement(n) && child !== n.expression) out.set(n, child);
    if (ts.isConditionalExpression(n) && child !== n.condition) out.set(n, child);
  }
  return out;
}

/**
 * Whether two nodes sit in different arms of one `if … else` or `?:`, so no single run reaches both.
 *
 * @example
 * // if (down) { await KV.put(k, "1"); } else { await KV.get(k); }
 * exclusiveBranches(putCall, getCall); // true
 */
export function exclusiveBranches(a: ts.Node, b: ts.Node): boolean {
  const of = arms(a);
  for (const [branch, arm] of arms(b)) {
    const other = of.get(branch);
    if (other !== undefined && other !== arm) return true;
  }
  return false;
}

type Declaration = ts.VariableDeclaration | ts.ParameterDeclaration | ts.BindingElement | ts.FunctionDeclaration;

/** Every declared name of a file with the scope it lives in, built once per file so lookups stay linear. */
const declarationIndex = new WeakMap<ts.SourceFile, Map<string, { decl: Declaration; scope: ts.Node }[]>>();

function declarationsOf(sf: ts.SourceFile): Map<string, { decl: Declaration; scope: ts.Node }[]> {
  let index = declarationIndex.get(sf);
  if (index) return index;
  const built = new Map<string, { decl: Declaration; scope: ts.Node }[]>();
  const add = (name: string, decl: Declaration, scope: ts.Node) => {
    const list = built.get(name);
    if (list) list.push({ decl, scope });
    else built.set(name, [{ decl, scope }]);
  };
  walk(sf, (n) => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) && ts.isIdentifier(n.name)) {
      // A parameter (also one destructured) belongs to its function; a variable to the function around it.
      let owner: ts.Node = n;
      while (ts.isBindingElement(owner) || ts.isObjectBindingPattern(owner) || ts.isArrayBindingPattern(owner)) {
        owner = owner.parent;
      }
      add(n.name.text, n, ts.isParameter(owner) ? owner.parent : enclosingScope(n));
    }
    // A helper declared inside a function (top-level ones are found by the module's own lookup).
    if (ts.isFunctionDeclaration(n) && n.name && n.body && !ts.isSourceFile(n.parent))
      add(n.name.text, n, enclosingScope(n));
    return undefined;
  });
  index = built;
  declarationIndex.set(sf, index);
  return index;
}

/**
 * Finds the declaration of `name` visible from `from`: the one in the innermost function (or the file) that
 * encloses `from`. Block scopes are not told apart; without a type checker that is close enough for one file.
 */
export function findDeclaration(name: string, from: ts.Node): Declaration | undefined {
  const candidates = declarationsOf(from.getSourceFile()).get(name);
  if (!candidates) return undefined;
  let best: { decl: Declaration; scope: ts.Node } | undefined;
  for (const c of candidates) {
    const inside = ts.isSourceFile(c.scope) || (c.scope.pos <= from.pos && from.end <= c.scope.end);
    if (!inside) continue;
    // In one function, a declaration whose block (or loop) holds `from` wins over one in a sibling block.
    const tie = best !== undefined && c.scope.pos === best.scope.pos;
    if (!best || c.scope.pos > best.scope.pos || (tie && (holds(c.decl, from) || !holds(best.decl, from)))) best = c;
  }
  return best?.decl;
}

/** Whether the block or loop a declaration sits in contains `from`. */
function holds(decl: Declaration, from: ts.Node): boolean {
  let n: ts.Node | undefined = decl.parent;
  while (n && !ts.isBlock(n) && !ts.isIterationStatement(n, false) && !ts.isFunctionLike(n) && !ts.isSourceFile(n))
    n = n.parent;
  return !!n && n.pos <= from.pos && from.end <= n.end;
}

/** The initializer a name was declared with, when it is a plain `const x = …` / `let x = …`. */
export function initializerOf(id: ts.Identifier): ts.Expression | undefined {
  const d = findDeclaration(id.text, id);
  return d && ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
}

/** The string value of a literal, or of a `const` bound to one; undefined when it isn't fixed. */
export function constantString(expr: ts.Expression, depth = 0): string | undefined {
  const e = unwrap(expr);
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isNumericLiteral(e)) return e.text;
  if (ts.isIdentifier(e) && depth < 4) {
    const d = findDeclaration(e.text, e);
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) {
      return constantString(d.initializer, depth + 1);
    }
  }
  if (ts.isTemplateExpression(e)) {
    let s = e.head.text;
    for (const span of e.templateSpans) {
      const v = constantString(span.expression, depth + 1);
      if (v === undefined) return undefined;
      s += v + span.literal.text;
    }
    return s;
  }
  return undefined;
}

/** The nodes most rules look for, gathered in one pass per file (source order), so rules don't each walk the tree. */
export interface NodeIndex {
  calls: ts.CallExpression[];
  properties: ts.PropertyAssignment[];
}

const nodeIndexes = new WeakMap<ts.SourceFile, NodeIndex>();

/**
 * One traversal per file, shared by every rule.
 *
 * @example
 * for (const call of nodeIndex(sf).calls) if (calleeName(call) === "prepare") …
 */
export function nodeIndex(sf: ts.SourceFile): NodeIndex {
  let index = nodeIndexes.get(sf);
  if (!index) {
    const built: NodeIndex = { calls: [], properties: [] };
    walk(sf, (n) => {
      if (ts.isCallExpression(n)) built.calls.push(n);
      else if (ts.isPropertyAssignment(n)) built.properties.push(n);
      return undefined;
    });
    index = built;
    nodeIndexes.set(sf, index);
  }
  return index;
}
