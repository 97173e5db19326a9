import ts from "typescript";

/** Depth-first walk of every node under `root`. Return false from `visit` to skip a node's children. */
export function walk(root: ts.Node, visit: (node: ts.Node) => boolean | undefined): void {
  const go = (n: ts.Node): void => {
    if (visit(n) === false) return;
    ts.forEachChild(n, go);
  };
  go(root);
}

/** Unwraps `(x)`, `x as T`, `x!`, `x satisfies T`, `await x`. */
export function unwrap(expr: ts.Expression): ts.Expression {
  let e = expr;
  for (;;) {
    if (
      ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isSatisfiesExpression(e) ||
      ts.isAwaitExpression(e) ||
      ts.isTypeAssertionExpression(e)
    ) {
      e = e.expression;
    } else return e;
  }
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

/**
 * Finds the declaration of `name` visible from `from`: the nearest enclosing scope that declares it as a
 * variable (incl. destructuring) or parameter. Scope-aware enough for one file without a type checker.
 */
export function findDeclaration(
  name: string,
  from: ts.Node,
): ts.VariableDeclaration | ts.ParameterDeclaration | ts.BindingElement | undefined {
  let scope: ts.Node | undefined = enclosingScope(from);
  while (scope) {
    let found: ts.VariableDeclaration | ts.ParameterDeclaration | ts.BindingElement | undefined;
    const s = scope;
    if (ts.isFunctionLike(s)) {
      for (const p of s.parameters) {
        if (ts.isIdentifier(p.name) && p.name.text === name) return p;
        if (!ts.isIdentifier(p.name)) {
          walk(p.name, (n) => {
            if (!found && ts.isBindingElement(n) && ts.isIdentifier(n.name) && n.name.text === name) found = n;
            return undefined;
          });
          if (found) return found;
        }
      }
    }
    walk(s, (n) => {
      if (found) return false;
      if (n !== s && ts.isFunctionLike(n)) return false;
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) found = n;
      if (ts.isBindingElement(n) && ts.isIdentifier(n.name) && n.name.text === name) found = n;
      return undefined;
    });
    if (found) return found;
    if (ts.isSourceFile(s)) return undefined;
    scope = enclosingScope(s);
  }
  return undefined;
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

/** Name of a property, method or accessor when it is written as an identifier or string. */
export function memberName(node: ts.Node): string | undefined {
  if (
    (ts.isPropertyAssignment(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isShorthandPropertyAssignment(node) ||
      ts.isPropertyDeclaration(node)) &&
    (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
  ) {
    return node.name.text;
  }
  return undefined;
}
