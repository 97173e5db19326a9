import ts from "typescript";
import { calleeName, enclosingScope, findDeclaration, receiverOf, unwrap, walk } from "./ast.js";

/**
 * Constant folding for SQL text: whether a value spliced into a statement can only be text the code itself wrote
 * (literals, placeholders, fixed column lists, numbers, names checked against an allow-list), so splicing it
 * cannot inject anything. Works on one file's syntax, without a type checker.
 */

interface Fold {
  depth: number;
  /** Parameters known to hold constant values (e.g. the element of a `.map` over a constant array). */
  trusted: ReadonlySet<ts.Node>;
  /** Functions being folded, against recursion. */
  visiting: Set<ts.Node>;
}

const MAX_DEPTH = 8;
const START: Fold = { depth: 0, trusted: new Set(), visiting: new Set() };
const NUMBER_CALLS = new Set([
  "Number",
  "parseInt",
  "parseFloat",
  "toFixed",
  "floor",
  "ceil",
  "round",
  "min",
  "max",
  "abs",
  "trunc",
]);
const SAME_TEXT_METHODS = new Set(["trim", "toUpperCase", "toLowerCase", "toString", "repeat", "padStart", "padEnd"]);
const ARRAY_KEEPERS = new Set(["filter", "slice", "concat", "reverse", "sort", "toSorted", "flat"]);
const ARITHMETIC = new Set([
  ts.SyntaxKind.MinusToken,
  ts.SyntaxKind.AsteriskToken,
  ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken,
  ts.SyntaxKind.AsteriskAsteriskToken,
]);
const EITHER = new Set([
  ts.SyntaxKind.PlusToken,
  ts.SyntaxKind.QuestionQuestionToken,
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.AmpersandAmpersandToken,
]);

function deeper(f: Fold): Fold | undefined {
  return f.depth >= MAX_DEPTH ? undefined : { ...f, depth: f.depth + 1 };
}

/** `"a" | "b"`, `1 | 2`, `number`, `boolean`, `keyof typeof X`, or an alias of one in the same file. */
function constantType(t: ts.TypeNode | undefined, sf: ts.SourceFile, depth = 0): boolean {
  if (!t || depth > 4) return false;
  if (ts.isLiteralTypeNode(t)) return true;
  if (ts.isUnionTypeNode(t)) return t.types.every((x) => constantType(x, sf, depth + 1));
  if (ts.isParenthesizedTypeNode(t)) return constantType(t.type, sf, depth + 1);
  if (ts.isTypeOperatorNode(t) && t.operator === ts.SyntaxKind.KeyOfKeyword) return true;
  if (
    t.kind === ts.SyntaxKind.NumberKeyword ||
    t.kind === ts.SyntaxKind.BooleanKeyword ||
    t.kind === ts.SyntaxKind.BigIntKeyword
  )
    return true;
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
    const name = t.typeName.text;
    for (const s of sf.statements) {
      if (ts.isTypeAliasDeclaration(s) && s.name.text === name) return constantType(s.type, sf, depth + 1);
      if (ts.isEnumDeclaration(s) && s.name.text === name) return true;
    }
  }
  return false;
}

/** `ALLOWED.includes(x)`, `ALLOWED.has(x)` or `x in MAP` anywhere in the function that uses `x`. */
function checkedAgainstList(id: ts.Identifier): boolean {
  let hit = false;
  walk(enclosingScope(id), (n) => {
    if (hit) return false;
    const uses = (e: ts.Expression | undefined) =>
      !!e && ts.isIdentifier(unwrap(e)) && (unwrap(e) as ts.Identifier).text === id.text;
    if (ts.isCallExpression(n) && ["includes", "has"].includes(calleeName(n) ?? "") && uses(n.arguments[0])) hit = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.InKeyword && uses(n.left)) hit = true;
    return undefined;
  });
  return hit;
}

/** Every value written into variable `name` after its declaration: `x = v`, `x += v`, `x.push(v)`, `x[i] = v`. */
function laterWrites(decl: ts.VariableDeclaration, name: string): { values: ts.Expression[]; arrays: ts.Expression[] } {
  const values: ts.Expression[] = [];
  const arrays: ts.Expression[] = [];
  const scope = enclosingScope(decl);
  const isName = (e: ts.Expression) => ts.isIdentifier(unwrap(e)) && (unwrap(e) as ts.Identifier).text === name;
  walk(scope, (n) => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      const target = unwrap(n.left);
      if (isName(target)) (n.operatorToken.kind === ts.SyntaxKind.EqualsToken ? arrays : values).push(n.right);
      if (n.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken && isName(target)) values.push(n.right);
      if (ts.isElementAccessExpression(target) && isName(target.expression)) values.push(n.right);
    }
    if (ts.isCallExpression(n) && ["push", "unshift"].includes(calleeName(n) ?? "")) {
      const recv = receiverOf(n);
      if (recv && isName(recv)) values.push(...n.arguments);
    }
    return undefined;
  });
  return { values, arrays };
}

function constantVariable(decl: ts.VariableDeclaration, name: string, f: Fold, asArray: boolean): boolean {
  if (!decl.initializer) return false;
  const ok = asArray ? constantArray(decl.initializer, f) : constantText(decl.initializer, f);
  if (!ok) return false;
  if (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const && !asArray) return true;
  const { values, arrays } = laterWrites(decl, name);
  return (
    values.every((v) => constantText(v, f)) && arrays.every((v) => (asArray ? constantArray(v, f) : constantText(v, f)))
  );
}

/** A function in the same file whose every `return` is constant (parameters are not trusted). */
function constantFunction(fn: ts.Node, f: Fold, asArray: boolean): boolean {
  if (f.visiting.has(fn)) return false;
  if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body)
    return false;
  f.visiting.add(fn);
  try {
    const check = (e: ts.Expression) => (asArray ? constantArray(e, f) : constantText(e, f));
    if (!ts.isBlock(fn.body)) return check(fn.body);
    const returns: ts.Expression[] = [];
    let bare = false;
    walk(fn.body, (n) => {
      if (n !== fn.body && ts.isFunctionLike(n)) return false;
      if (ts.isReturnStatement(n)) {
        if (n.expression) returns.push(n.expression);
        else bare = true;
      }
      return undefined;
    });
    return !bare && returns.length > 0 && returns.every(check);
  } finally {
    f.visiting.delete(fn);
  }
}

function calledFunction(call: ts.CallExpression): ts.Node | undefined {
  const c = unwrap(call.expression);
  if (!ts.isIdentifier(c)) return undefined;
  for (const s of c.getSourceFile().statements) if (ts.isFunctionDeclaration(s) && s.name?.text === c.text) return s;
  const d = findDeclaration(c.text, c);
  return d && ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
}

/** A callback whose result is constant when its first parameter is (`elementConstant`) and its index always is. */
function constantCallback(cb: ts.Expression | undefined, elementConstant: boolean, f: Fold): boolean {
  const fn = cb && unwrap(cb);
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  const trusted = new Set(f.trusted);
  fn.parameters.forEach((p, i) => {
    if (i > 0 || elementConstant) trusted.add(p);
  });
  return constantFunction(fn, { ...f, trusted }, false);
}

function constantIdentifier(id: ts.Identifier, f: Fold, asArray: boolean): boolean {
  const d = findDeclaration(id.text, id);
  if (!d) return false;
  if (f.trusted.has(d)) return true;
  if (ts.isParameter(d)) return (!asArray && constantType(d.type, id.getSourceFile())) || checkedAgainstList(id);
  if (ts.isVariableDeclaration(d))
    return constantVariable(d, id.text, f, asArray) || (!asArray && checkedAgainstList(id));
  return !asArray && checkedAgainstList(id);
}

function constantObjectLiteral(e: ts.Expression, f: Fold): boolean {
  let o = unwrap(e);
  if (ts.isIdentifier(o)) {
    const d = findDeclaration(o.text, o);
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const))
      return false;
    o = unwrap(d.initializer);
  }
  return (
    ts.isObjectLiteralExpression(o) &&
    o.properties.every(
      (p) => ts.isPropertyAssignment(p) && (constantText(p.initializer, f) || constantArray(p.initializer, f)),
    )
  );
}

/**
 * Whether an array expression can only hold constant text: a literal of constants, `ids.map(() => "?")`,
 * `Array(n).fill("?")`, `Object.keys(CONST)`, or a variable only ever filled with constants.
 */
export function constantArray(expr: ts.Expression, fold: Fold = START): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (ts.isArrayLiteralExpression(e))
    return e.elements.every((x) => (ts.isSpreadElement(x) ? constantArray(x.expression, f) : constantText(x, f)));
  if (ts.isIdentifier(e)) return constantIdentifier(e, f, true);
  if (ts.isPropertyAccessExpression(e) && constantObjectLiteral(e.expression, f)) return true;
  if (!ts.isCallExpression(e) && !ts.isNewExpression(e)) return false;
  const name = ts.isCallExpression(e) ? calleeName(e) : undefined;
  const recv = ts.isCallExpression(e) ? receiverOf(e) : undefined;
  const args = e.arguments ?? [];
  if (ts.isNewExpression(e) || name === "Array") return args.length <= 1; // `new Array(n)`: holes only
  if (name === "fill") return !!args[0] && constantText(args[0], f);
  if (name === "map" && recv) return constantCallback(args[0], constantArray(recv, f), f);
  if (name === "from" && recv && ts.isIdentifier(recv) && recv.text === "Array")
    return args[1] ? constantCallback(args[1], false, f) : !!args[0] && constantArray(args[0], f);
  if (
    (name === "keys" || name === "values" || name === "entries") &&
    recv &&
    ts.isIdentifier(recv) &&
    recv.text === "Object"
  )
    return !!args[0] && constantObjectLiteral(args[0], f);
  if (name && ARRAY_KEEPERS.has(name) && recv)
    return constantArray(recv, f) && args.every((a) => !ts.isArrayLiteralExpression(a) || constantArray(a, f));
  if (name === "split" && recv) return constantText(recv, f);
  const fn = ts.isCallExpression(e) ? calledFunction(e) : undefined;
  return fn !== undefined && constantFunction(fn, f, true);
}

function constantCall(e: ts.CallExpression, f: Fold): boolean {
  const name = calleeName(e);
  const recv = receiverOf(e);
  if (name === "join" && recv) return constantArray(recv, f) && (!e.arguments[0] || constantText(e.arguments[0], f));
  if (name && NUMBER_CALLS.has(name)) return true;
  if (name === "String" && !recv) return !!e.arguments[0] && constantText(e.arguments[0], f);
  if (name && SAME_TEXT_METHODS.has(name) && recv) return constantText(recv, f);
  const fn = calledFunction(e);
  return fn !== undefined && constantFunction(fn, f, false);
}

/**
 * Whether a value spliced into SQL text can only be text the code wrote itself.
 *
 * @example
 * // `SELECT * FROM t WHERE id IN (${ids.map(() => "?").join(", ")})`  → the splice is constant
 * constantText(span.expression); // true
 */
export function constantText(expr: ts.Expression, fold: Fold = START): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (ts.isStringLiteralLike(e) || ts.isNumericLiteral(e) || ts.isBigIntLiteral(e)) return true;
  const k = e.kind;
  if (k === ts.SyntaxKind.TrueKeyword || k === ts.SyntaxKind.FalseKeyword || k === ts.SyntaxKind.NullKeyword)
    return true;
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return true; // -x, x++: numbers
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => constantText(s.expression, f));
  if (ts.isConditionalExpression(e)) return constantText(e.whenTrue, f) && constantText(e.whenFalse, f);
  if (ts.isBinaryExpression(e)) {
    if (ARITHMETIC.has(e.operatorToken.kind)) return true;
    if (EITHER.has(e.operatorToken.kind)) return constantText(e.left, f) && constantText(e.right, f);
    return false;
  }
  if (ts.isIdentifier(e)) return e.text === "undefined" || constantIdentifier(e, f, false);
  if (ts.isPropertyAccessExpression(e)) {
    if (e.name.text === "length" || e.name.text === "size") return true;
    return constantObjectLiteral(e.expression, f);
  }
  if (ts.isElementAccessExpression(e)) return constantObjectLiteral(e.expression, f) || constantArray(e.expression, f);
  if (ts.isCallExpression(e)) return constantCall(e, f);
  return false;
}
