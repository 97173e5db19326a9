import ts from "typescript";
import { calleeName, enclosingScope, findDeclaration, lastName, receiverOf, unwrap, walk } from "./ast.js";
import { constantParameter } from "./call-sites.js";
import { constantClassField, constantStaticField, ownMethod } from "./class-fields.js";
import { type Resolved, resolveMember, resolveName } from "./declarations.js";
import { type Fold, MAX_FOLD_DEPTH, startFold } from "./fold.js";
import { typedConstant } from "./typed-constant.js";
import { keyWrites, laterWrites, memberWrites, mutated, type Writes } from "./writes.js";
import { zodConstantField, zodParsed } from "./zod-keys.js";

/**
 * Constant folding for SQL text: whether a value spliced into a statement can only be text the code itself wrote
 * (literals, placeholders, fixed column lists, numbers, names checked against an allow-list), so splicing it
 * cannot inject anything. Names are followed into the project's other modules; when the syntax says nothing, a
 * type checker (built only then, see `typed`) may still show a value typed as literals, an enum, a number or a
 * boolean.
 */

/** Built-ins that always return a number (or, for `toFixed`, a number's digits), by the object that owns them. */
const NUMBER_CALLS: ReadonlyMap<string, ReadonlySet<string | undefined>> = new Map([
  ["Number", new Set([undefined])],
  ["parseInt", new Set([undefined, "Number"])],
  ["parseFloat", new Set([undefined, "Number"])],
  ["now", new Set(["Date", "performance"])],
  ...["floor", "ceil", "round", "min", "max", "abs", "trunc", "sign", "pow", "sqrt", "log", "random"].map(
    (m) => [m, new Set(["Math"])] as const,
  ),
]);

/** `Math.max(…)`, `Number(…)`, `Number.parseInt(…)`, `n.toFixed(2)`: a number whatever its arguments; `_.max(names)` is not. */
function numberCall(e: ts.CallExpression, f: Fold): boolean {
  return (calleeName(e) === "toFixed" && !!receiverOf(e)) || numberFunction(e.expression, f);
}

/** `Number`, `parseInt`, `Math.round`, `Number.parseFloat`: a built-in that returns a number (also as a callback). */
function numberFunction(expr: ts.Expression, f: Fold): boolean {
  const e = unwrap(expr);
  const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : undefined;
  const owners = name === undefined ? undefined : NUMBER_CALLS.get(name);
  const owner = ts.isPropertyAccessExpression(e) ? unwrap(e.expression) : e;
  const held = ts.isPropertyAccessExpression(e) && ts.isIdentifier(owner) ? owner.text : undefined;
  return !!owners && ts.isIdentifier(owner) && owners.has(held) && isGlobal(owner, f);
}

/** A name no project declaration shadows (`const Math = …`, an own `Number()` or `crypto` is not the built-in). */
function isGlobal(id: ts.Identifier, f: Fold): boolean {
  return !findDeclaration(id.text, id) && !resolveName(id, f.modules);
}

/** `new Date(…)`, or a `const` holding one. */
function isNewDate(expr: ts.Expression, f: Fold): boolean {
  const e = unwrap(expr);
  if (ts.isNewExpression(e))
    return ts.isIdentifier(e.expression) && e.expression.text === "Date" && isGlobal(e.expression, f);
  if (!ts.isIdentifier(e)) return false;
  const d = resolveName(e, f.modules);
  const fixed = d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
  return !!fixed && ts.isNewExpression(unwrap(d.initializer)) && isNewDate(d.initializer, f);
}

/** The entries a `new Map(…)` starts with hold only constant values: `[["new", "created_at"], …]`, `Object.entries(CONST)`. */
function constantEntries(arg: ts.Expression | undefined, f: Fold): boolean {
  const e = arg && unwrap(arg);
  if (!e) return true;
  const call = ts.isCallExpression(e) ? e : undefined;
  const recv = call && receiverOf(call);
  if (call && calleeName(call) === "entries" && recv && lastName(recv) === "Object")
    return !!call.arguments[0] && constantObjectLiteral(call.arguments[0], f);
  return (
    ts.isArrayLiteralExpression(e) &&
    e.elements.every((pair) => {
      const p = unwrap(pair);
      const value = ts.isArrayLiteralExpression(p) && p.elements.length === 2 ? p.elements[1] : undefined;
      return !!value && !ts.isSpreadElement(value) && constantText(value, f);
    })
  );
}

/** What may be done with a constant map besides `set`: reads, which leave its values as they are. */
const MAP_READS = new Set(["get", "has", "keys", "values", "entries", "forEach", "size"]);

/**
 * `MAP.get(key)` on a `const MAP = new Map(…)` whose entries, and every `MAP.set(k, v)` in its file and the files
 * that import it, put constant values: the lookup is one of them or undefined, whatever the key. A map used any
 * other way (passed to a function, reassigned) may be filled out of sight.
 */
function constantMapLookup(e: ts.CallExpression, f: Fold): boolean {
  const r = receiverOf(e);
  const map = calleeName(e) === "get" && r ? unwrap(r) : undefined;
  if (!map || !ts.isIdentifier(map)) return false;
  const d = resolveName(map, f.modules);
  const made = d && ts.isVariableDeclaration(d) && d.initializer && unwrap(d.initializer);
  if (!d || !made || !ts.isNewExpression(made) || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const)) return false;
  if (!ts.isIdentifier(made.expression) || made.expression.text !== "Map" || !isGlobal(made.expression, f))
    return false;
  if (!constantEntries(made.arguments?.[0], f)) return false;
  const own = d.getSourceFile();
  let ok = true;
  for (const sf of [own, ...(f.modules?.importers(own.fileName) ?? [])]) {
    walk(sf, (n) => {
      if (!ok) return false;
      if (!ts.isIdentifier(n) || n.text !== map.text || n === d.name) return undefined;
      const use = n.parent;
      if (ts.isImportSpecifier(use) || ts.isExportSpecifier(use)) return undefined;
      const member = ts.isPropertyAccessExpression(use) && use.expression === n ? use.name.text : undefined;
      const call = use.parent && ts.isCallExpression(use.parent) ? use.parent : undefined;
      if (member === "set" && call) ok = !!call.arguments[1] && constantText(call.arguments[1], f);
      else ok = member !== undefined && MAP_READS.has(member);
      return undefined;
    });
  }
  return ok;
}

/**
 * Text the runtime writes in a fixed alphabet, whatever its input: a Date's `toISOString()` (digits and `-:.TZ`),
 * `crypto.randomUUID()` (hex and dashes). It cannot close a quote or add a clause.
 */
function generatedText(e: ts.CallExpression, f: Fold): boolean {
  const name = calleeName(e);
  const r = receiverOf(e);
  const recv = r && unwrap(r);
  if (!recv) return false;
  if (name === "toISOString") return isNewDate(recv, f);
  return name === "randomUUID" && ts.isIdentifier(recv) && recv.text === "crypto" && isGlobal(recv, f);
}

const SAME_TEXT_METHODS = new Set([
  "trim",
  "trimStart",
  "trimEnd",
  "toUpperCase",
  "toLowerCase",
  "toString",
  "repeat",
  "padStart",
  "padEnd",
  "slice",
  "substring",
  "at",
]);
/** Text methods whose result is constant when the receiver and these arguments are: `"?,".repeat(n).replace(/,$/, "")`. */
const REWRITE_METHODS = new Set(["replace", "replaceAll", "concat"]);
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

/** `a ?? b`, `a || b`: an array expression that is one of two arrays. */
const EITHER_ARRAY = new Set([ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken]);

function deeper(f: Fold): Fold | undefined {
  if (f.depth >= MAX_FOLD_DEPTH || f.budget.steps <= 0) return undefined;
  f.budget.steps--;
  return { ...f, depth: f.depth + 1 };
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

/** One piece of a digits pattern: `\d` or `[0-9]`, with an optional quantifier. */
const DIGIT_PIECE = /^(?:\\d|\[0-9\])(?:[*+?]|\{\d+(?:,\d*)?\})?/;

/**
 * A regex that only passes digits: anchored at both ends (`^…$`, no `m` flag, which anchors each line) and built
 * only of `\d` and `[0-9]`, so what passes is a number's text.
 */
function digitsPattern(expr: ts.Expression, f: Fold): boolean {
  let e = unwrap(expr);
  if (ts.isIdentifier(e)) {
    const d = resolveName(e, f.modules);
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const))
      return false;
    e = unwrap(d.initializer);
  }
  if (!ts.isRegularExpressionLiteral(e)) return false;
  const [, body = "", flags = ""] = /^\/(.*)\/(\w*)$/s.exec(e.text) ?? [];
  if (flags.includes("m") || body.length <= 2 || !body.startsWith("^") || !body.endsWith("$")) return false;
  let rest = body.slice(1, -1);
  for (let piece = DIGIT_PIECE.exec(rest); piece && rest; piece = DIGIT_PIECE.exec(rest))
    rest = rest.slice(piece[0].length);
  return rest === "";
}

/**
 * `ALLOWED.includes(x)`, `ALLOWED.has(x)`, `x in MAP`, or a digits pattern's `RE.test(x)`, anywhere in the function
 * that uses `x`.
 */
function checkedAgainstList(id: ts.Identifier | ts.PropertyAccessExpression, f: Fold): boolean {
  let hit = false;
  const text = id.getText();
  walk(enclosingScope(id), (n) => {
    if (hit) return false;
    const uses = (e: ts.Expression | undefined) => !!e && sameRef(e, text);
    if (ts.isCallExpression(n) && ["includes", "has"].includes(calleeName(n) ?? "") && uses(n.arguments[0])) hit = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.InKeyword && uses(n.left)) hit = true;
    const re = ts.isCallExpression(n) && calleeName(n) === "test" && uses(n.arguments[0]) ? receiverOf(n) : undefined;
    if (re && digitsPattern(re, f)) hit = true;
    return undefined;
  });
  return hit;
}

/** Reads that give the same value each time in one expression: a name, a property, `params.get("k")`. */
const REREAD_CALLS = new Set(["get", "header", "query", "param"]);
function rereadable(e: ts.Expression): boolean {
  const u = unwrap(e);
  if (ts.isIdentifier(u) || ts.isPropertyAccessExpression(u)) return true;
  return (
    ts.isCallExpression(u) &&
    REREAD_CALLS.has(calleeName(u) ?? "") &&
    u.arguments.every((a) => ts.isStringLiteralLike(a) || ts.isNumericLiteral(a))
  );
}

/** `x || ""` or `x ?? "asc"` checked against a list: the value that can reach the guarded branch is `x` itself. */
function withoutFallback(e: ts.Expression): ts.Expression {
  const u = unwrap(e);
  const fallback =
    ts.isBinaryExpression(u) &&
    (u.operatorToken.kind === ts.SyntaxKind.BarBarToken ||
      u.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) &&
    (ts.isStringLiteralLike(unwrap(u.right)) || ts.isNumericLiteral(unwrap(u.right)));
  return fallback ? unwrap(u.left) : u;
}

/**
 * Which branch of `LIST.includes(x) ? a : b` (or `!LIST.includes(x) ? b : a`, `.has`) is that same `x`, when LIST is a
 * constant array or Set: that branch holds one of LIST's values.
 */
function listGuarded(e: ts.ConditionalExpression, f: Fold): "true" | "false" | undefined {
  let cond = unwrap(e.condition);
  let negated = false;
  if (ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken) {
    negated = true;
    cond = unwrap(cond.operand);
  }
  if (!ts.isCallExpression(cond) || !["includes", "has"].includes(calleeName(cond) ?? "")) return undefined;
  const list = receiverOf(cond);
  const arg = cond.arguments[0] && withoutFallback(cond.arguments[0]);
  if (!arg || !list || !rereadable(arg) || !constantArray(list, f)) return undefined;
  const branch = negated ? e.whenFalse : e.whenTrue;
  if (unwrap(branch).getText() !== arg.getText()) return undefined;
  return negated ? "false" : "true";
}

/** `x` or `query.sort`, written as `text`. */
function sameRef(e: ts.Expression, text: string): boolean {
  const u = unwrap(e);
  return (ts.isIdentifier(u) || ts.isPropertyAccessExpression(u)) && u.getText() === text;
}

/**
 * A name, or a property of one (`query.sort`), that holds the same value wherever it is read: the name is never
 * reassigned and the property never written.
 */
function stableRef(e: ts.Identifier | ts.PropertyAccessExpression, f: Fold): boolean {
  const root = ts.isIdentifier(e) ? e : unwrap(e.expression);
  if (!ts.isIdentifier(root)) return false;
  const d = resolveName(root, f.modules);
  if (!d || !(ts.isVariableDeclaration(d) || ts.isParameter(d))) return false;
  const { values, arrays } = laterWrites(d, root.text);
  if (values.length > 0 || arrays.length > 0) return false;
  if (ts.isIdentifier(e)) return true;
  const member = memberWrites(d, root.text, e.name.text);
  return !!member && member.values.length === 0 && member.arrays.length === 0;
}

/** `const X = …` at the top level of a module. */
function isModuleConst(decl: ts.VariableDeclaration): boolean {
  const statement = decl.parent.parent;
  return (
    !!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) &&
    ts.isVariableStatement(statement) &&
    ts.isSourceFile(statement.parent)
  );
}

function constantVariable(decl: ts.VariableDeclaration, name: string, f: Fold, asArray: boolean): boolean {
  const loop = decl.parent.parent;
  // `for (const t of TABLES)`: each element of a constant array.
  if (ts.isForOfStatement(loop) && loop.initializer === decl.parent)
    return !asArray && constantArray(loop.expression, f);
  // `for (const k in parsed.data)`: the keys of a fixed object.
  if (ts.isForInStatement(loop) && loop.initializer === decl.parent)
    return !asArray && fixedObject(loop.expression, f) !== undefined;
  // `let column; switch (sort) { case "name": column = "name"; … }`: no initializer, only constant writes.
  const declared = decl.initializer;
  // A module-level `const` is computed when the Worker loads, before any request exists, so no request data can
  // be in it, however it is built (`[...].map(…).join(…)` over constant tables).
  if (!asArray && declared && isModuleConst(decl) && !isFunctionValue(unwrap(declared))) return true;
  const ok = declared
    ? asArray
      ? constantArray(declared, f)
      : constantText(declared, f)
    : !asArray && !ts.isCatchClause(decl.parent);
  if (!ok) return false;
  if (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const && !asArray) return true;
  const { values, arrays } = laterWrites(decl, name);
  if (!declared && arrays.length === 0) return false;
  return (
    values.every((v) => constantText(v, f)) && arrays.every((v) => (asArray ? constantArray(v, f) : constantText(v, f)))
  );
}

/** Every `return` value of a function body (nested functions left out); undefined when one returns nothing. */
export function returnedValues(fn: ts.FunctionLikeDeclaration): ts.Expression[] | undefined {
  const body = fn.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return [body];
  const returns: ts.Expression[] = [];
  let bare = false;
  walk(body, (n) => {
    if (n !== body && ts.isFunctionLike(n)) return false;
    if (ts.isReturnStatement(n)) {
      if (n.expression) returns.push(n.expression);
      else bare = true;
    }
    return undefined;
  });
  return bare || returns.length === 0 ? undefined : returns;
}

/** A function whose body can be read: a declaration, an arrow, a function expression, or a class's own method. */
export type FunctionValue = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration;

export function isFunctionValue(fn: ts.Node): fn is FunctionValue {
  return (
    ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn)
  );
}

/** A function whose every `return` is constant (`check` says what constant means: text, array, property…). */
function constantReturns(fn: ts.Node, f: Fold, check: (e: ts.Expression) => boolean): boolean {
  if (f.visiting.has(fn) || !isFunctionValue(fn)) return false;
  f.visiting.add(fn);
  try {
    const returns = returnedValues(fn);
    return returns?.every(check) ?? false;
  } finally {
    f.visiting.delete(fn);
  }
}

function constantFunction(fn: ts.Node, f: Fold, asArray: boolean): boolean {
  return constantReturns(fn, f, (e) => (asArray ? constantArray(e, f) : constantText(e, f)));
}

/** The function a declaration names: `function f` or `const f = () => …`. */
export function functionOf(d: Resolved | undefined): ts.Node | undefined {
  if (d && ts.isFunctionDeclaration(d)) return d;
  return d && ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
}

/**
 * The fold inside one call of `fn`: its parameters hold this call's arguments, so a helper is constant here when
 * this caller passes constants, whatever its other callers pass.
 */
function intoCall(call: ts.CallExpression, fn: ts.Node, f: Fold): Fold {
  if (!isFunctionValue(fn)) return f;
  const bound = new Map(f.bound);
  const args = call.arguments;
  for (const [i, p] of fn.parameters.entries()) {
    if (p.dotDotDotToken || args.slice(0, i + 1).some(ts.isSpreadElement)) break;
    bound.set(p, args[i]);
  }
  return { ...f, bound };
}

/** The project's function an expression names (`bind`, `schema.columns`): a declaration or a `const f = () => …`. */
function namedFunction(e: ts.Expression, f: Fold): ts.Node | undefined {
  const c = unwrap(e);
  if (ts.isIdentifier(c)) return functionOf(resolveName(c, f.modules));
  if (ts.isPropertyAccessExpression(c))
    return ownMethod(c) ?? functionOf(resolveMember(c, f.modules)) ?? objectMethod(c, f);
  return undefined;
}

/** Whether `sf` writes a property of `name` (`utils.inList = …`, `utils["x"] = …`) or `Object.assign`s into it. */
function propertyWritten(sf: ts.SourceFile, name: string): boolean {
  let hit = false;
  const isName = (e: ts.Expression) => ts.isIdentifier(unwrap(e)) && (unwrap(e) as ts.Identifier).text === name;
  walk(sf, (n) => {
    if (hit) return false;
    const left =
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        ? unwrap(n.left)
        : undefined;
    if (left && (ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) && isName(left.expression))
      hit = true;
    if (ts.isCallExpression(n) && calleeName(n) === "assign" && n.arguments[0] && isName(n.arguments[0])) hit = true;
    return undefined;
  });
  return hit;
}

/**
 * `utils.inList(…)` for a `const utils = { inList: (n) => …, columns() { … } }`: the function the property holds,
 * unless some file that sees the object replaces one of its properties.
 */
function objectMethod(c: ts.PropertyAccessExpression, f: Fold): ts.Node | undefined {
  const holder = unwrap(c.expression);
  const d = ts.isIdentifier(holder) ? resolveName(holder, f.modules) : undefined;
  if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !ts.isIdentifier(d.name)) return undefined;
  const o = unwrap(d.initializer);
  if (!(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) || !ts.isObjectLiteralExpression(o)) return undefined;
  const p = o.properties.find(
    (x) => x.name && (ts.isIdentifier(x.name) || ts.isStringLiteral(x.name)) && x.name.text === c.name.text,
  );
  let fn: ts.Node | undefined;
  if (p && ts.isMethodDeclaration(p)) fn = p;
  else if (p && ts.isPropertyAssignment(p)) fn = unwrap(p.initializer);
  else if (p && ts.isShorthandPropertyAssignment(p)) fn = functionOf(resolveName(p.name, f.modules));
  if (!fn || !isFunctionValue(fn)) return undefined;
  const own = d.getSourceFile();
  const files = [own, ...(f.modules?.importers(own.fileName) ?? [])];
  const name = d.name.text;
  return files.some((sf) => propertyWritten(sf, name) || propertyWritten(sf, holder.getText())) ? undefined : fn;
}

function calledFunction(call: ts.CallExpression, f: Fold): ts.Node | undefined {
  return namedFunction(call.expression, f);
}

/** The value of property `key` of an object literal: constant text or a constant array. */
function literalProperty(o: ts.ObjectLiteralExpression, key: string, f: Fold): boolean {
  const p = o.properties.find((x) => x.name?.getText() === key);
  if (p && ts.isShorthandPropertyAssignment(p)) return constantText(p.name, f) || constantArray(p.name, f);
  return !!p && ts.isPropertyAssignment(p) && (constantText(p.initializer, f) || constantArray(p.initializer, f));
}

/** Whether every value written into a place after its declaration is constant text or a constant array. */
function constantWrites(w: Writes | undefined, f: Fold): boolean {
  return !!w && [...w.values, ...w.arrays].every((v) => constantText(v, f) || constantArray(v, f));
}

/**
 * Whether property `key` of an object value is always constant: an object literal, a `const` holding one, a
 * function whose every `return` is one, or a parameter every caller passes one (`guard.predicate` where each
 * guard a helper builds has a fixed predicate).
 */
function constantProperty(expr: ts.Expression, key: string, fold: Fold): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (zodConstantField(e, key, f.modules, (x) => constantText(x, f) || constantArray(x, f))) return true;
  if (ts.isObjectLiteralExpression(e)) return literalProperty(e, key, f);
  // `fields.push([field, value])`: a tuple's element by its index.
  if (ts.isArrayLiteralExpression(e) && /^\d+$/.test(key)) {
    const v = e.elements[Number(key)];
    return !!v && !ts.isSpreadElement(v) && constantText(v, f);
  }
  if (ts.isConditionalExpression(e))
    return constantProperty(e.whenTrue, key, f) && constantProperty(e.whenFalse, key, f);
  if (ts.isCallExpression(e)) {
    const picked = pickedFrom(e);
    if (picked) return constantElementProperty(picked, key, f);
    const fn = calledFunction(e, f);
    const g = fn && intoCall(e, fn, f);
    return fn !== undefined && !!g && constantReturns(fn, g, (r) => constantProperty(r, key, g));
  }
  // `DIVISIONS[body.division].column`, `FIELDS[i].name`: whichever entry the key picks, its property is one of theirs.
  if (ts.isElementAccessExpression(e))
    return constantElementProperty(e.expression, key, f) || constantValueProperty(e.expression, key, f);
  if (!ts.isIdentifier(e)) return false;
  const d = resolveName(e, f.modules);
  if (d && (ts.isParameter(d) || ts.isVariableDeclaration(d)) && !constantWrites(memberWrites(d, e.text, key), f))
    return false;
  const walked = d && walkedArray(d);
  if (walked && constantElementProperty(walked, key, f)) return true;
  const entries = d && entryValueOf(d);
  if (entries && constantValueProperty(entries, key, f)) return true;
  if (d && ts.isParameter(d))
    return constantParameter(d, f, { undefinedIsConstant: false }, (x, g) => constantProperty(x, key, g));
  if (d && (ts.isBindingElement(d) || ts.isVariableDeclaration(d)) && constantEntry(d, f, key)) return true;
  if (d && ts.isBindingElement(d) && everyReturned(d, f, (x, g) => constantProperty(x, key, g))) return true;
  const constDecl = d && ts.isVariableDeclaration(d) && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
  return !!constDecl && !!d.initializer && constantProperty(d.initializer, key, f);
}

/** Methods that return one element of their array (or undefined, which a property read of would throw on). */
const ELEMENT_PICKS = new Set(["find", "findLast", "at"]);

/** The array `FIELDS.find((f) => f.name === x)` / `FIELDS.at(-1)` picks an element of. */
function pickedFrom(call: ts.CallExpression): ts.Expression | undefined {
  return ELEMENT_PICKS.has(calleeName(call) ?? "") ? receiverOf(call) : undefined;
}

/**
 * A name checked with `check`: a parameter through every caller's argument (the answer), a variable through its
 * initializer (the variable when that passes, so its later writes can be checked too).
 */
function heldBy(
  e: ts.Identifier,
  f: Fold,
  check: (x: ts.Expression, g: Fold) => boolean,
): ts.VariableDeclaration | boolean {
  const d = resolveName(e, f.modules);
  if (d && ts.isParameter(d)) return constantParameter(d, f, { undefinedIsConstant: false }, check);
  return !!d && ts.isVariableDeclaration(d) && !!d.initializer && check(d.initializer, f) && d;
}

/**
 * Whether property `key` is constant in every element an array can hold: a literal, a variable whose initializer and
 * every later `push`/assignment are (`updates.push({ column: "name", value: body.name })`), a filtered or sliced
 * copy of one, or a parameter every caller fills that way.
 */
function constantElementProperty(expr: ts.Expression, key: string, fold: Fold): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (ts.isArrayLiteralExpression(e))
    return e.elements.every((x) =>
      ts.isSpreadElement(x) ? constantElementProperty(x.expression, key, f) : constantProperty(x, key, f),
    );
  if (ts.isCallExpression(e)) {
    const recv = receiverOf(e);
    const object = objectWalked(e, "values");
    if (object) return constantValueProperty(object, key, f);
    return !!recv && ARRAY_KEEPERS.has(calleeName(e) ?? "") && constantElementProperty(recv, key, f);
  }
  if (!ts.isIdentifier(e)) return false;
  const d = heldBy(e, f, (x, g) => constantElementProperty(x, key, g));
  if (typeof d === "boolean") return d;
  const { values, arrays } = laterWrites(d, e.text);
  return values.every((v) => constantProperty(v, key, f)) && arrays.every((v) => constantElementProperty(v, key, f));
}

/**
 * Whether property `key` is constant in every value an object can hold (`fields.name = { column: "name", value }`):
 * a literal, a variable whose initializer and later property writes are, or a parameter every caller fills so.
 */
function constantValueProperty(expr: ts.Expression, key: string, fold: Fold): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (ts.isObjectLiteralExpression(e))
    return e.properties.every((p) => {
      if (ts.isSpreadAssignment(p)) return constantValueProperty(p.expression, key, f);
      if (ts.isShorthandPropertyAssignment(p)) return constantProperty(p.name, key, f);
      return ts.isPropertyAssignment(p) && constantProperty(p.initializer, key, f);
    });
  if (!ts.isIdentifier(e)) return false;
  const d = heldBy(e, f, (x, g) => constantValueProperty(x, key, g));
  if (typeof d === "boolean") return d;
  const { values, arrays } = laterWrites(d, e.text);
  let written = true;
  walk(enclosingScope(d), (n) => {
    if (!written) return false;
    const target = ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && unwrap(n.left);
    const into = target && ts.isPropertyAccessExpression(target) && unwrap(target.expression);
    if (into && ts.isIdentifier(into) && into.text === e.text) written = constantProperty(n.right, key, f);
    if (
      ts.isCallExpression(n) &&
      calleeName(n) === "assign" &&
      n.arguments.some((a) => ts.isIdentifier(unwrap(a)) && unwrap(a).getText() === e.text)
    )
      written = false;
    return undefined;
  });
  return written && arrays.length === 0 && values.every((v) => constantProperty(v, key, f));
}

/** The object `Object.values(x)` / `Object.entries(x)` walks. */
function objectWalked(e: ts.Expression, method: string): ts.Expression | undefined {
  const call = unwrap(e);
  if (!ts.isCallExpression(call) || calleeName(call) !== method) return undefined;
  const recv = receiverOf(call);
  return recv && lastName(recv) === "Object" ? call.arguments[0] : undefined;
}

/** `v` in `for (const [k, v] of Object.entries(fields))`: the object whose values it takes. */
function entryValueOf(d: Resolved): ts.Expression | undefined {
  if (!ts.isBindingElement(d) || !ts.isArrayBindingPattern(d.parent) || d.parent.elements.indexOf(d) !== 1)
    return undefined;
  const decl = d.parent.parent;
  const loop = decl.parent?.parent;
  if (!ts.isVariableDeclaration(decl) || !loop || !ts.isForOfStatement(loop)) return undefined;
  return objectWalked(loop.expression, "entries");
}

/** The array a loop variable or an element callback's first parameter walks: `updates` in `updates.map((u) => …)`. */
function walkedArray(d: Resolved): ts.Expression | undefined {
  if (ts.isVariableDeclaration(d) && ts.isForOfStatement(d.parent.parent) && d.parent.parent.initializer === d.parent)
    return d.parent.parent.expression;
  if (!ts.isParameter(d) || d.parent.parameters[0] !== d) return undefined;
  const fn = d.parent;
  const call = fn.parent;
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isCallExpression(call)) return undefined;
  if (call.arguments[0] !== fn || !ELEMENT_CALLBACKS.has(calleeName(call) ?? "")) return undefined;
  return receiverOf(call);
}

/** The array literal a constant name holds (`const PAIRS = [["a", "TEXT"]]`), or the literal itself. */
function arrayLiteralOf(e: ts.Expression, f: Fold): ts.ArrayLiteralExpression | undefined {
  const x = unwrap(e);
  if (ts.isArrayLiteralExpression(x)) return x;
  if (!ts.isIdentifier(x)) return undefined;
  const d = resolveName(x, f.modules);
  const fixed = d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
  if (!fixed || laterWrites(d, x.text).values.length > 0) return undefined;
  const init = unwrap(d.initializer);
  return ts.isArrayLiteralExpression(init) ? init : undefined;
}

/** Fixed keys, and the literal that holds them when its values can be read too. */
type FixedObject = { object?: ts.ObjectLiteralExpression };

/** An object literal whose keys are all written out; spreads of fixed objects add keys but hide values. */
function fixedLiteral(o: ts.ObjectLiteralExpression, f: Fold): FixedObject | undefined {
  let spread = false;
  for (const p of o.properties) {
    if (ts.isSpreadAssignment(p)) {
      if (!fixedObject(p.expression, f)) return undefined;
      spread = true;
    } else if (
      !(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) ||
      ts.isComputedPropertyName(p.name)
    )
      return undefined;
  }
  return spread ? {} : { object: o };
}

/** A statement that leaves the function: `return` or `throw` (a loop's `continue` or `break` would let a key pass). */
function leavesFunction(st: ts.Statement | undefined): boolean {
  if (st && ts.isBlock(st)) return leavesFunction(st.statements[st.statements.length - 1]);
  return !!st && (ts.isReturnStatement(st) || ts.isThrowStatement(st));
}

/** `LIST.includes(k)` or `SET.has(k)` on a constant list. */
function listedCall(e: ts.Expression, key: string, f: Fold): boolean {
  const call = unwrap(e);
  if (!ts.isCallExpression(call) || !["includes", "has"].includes(calleeName(call) ?? "")) return false;
  const list = receiverOf(call);
  return !!call.arguments[0] && sameRef(call.arguments[0], key) && !!list && constantArray(list, f);
}

/** `!LIST.includes(k)`, `!SET.has(k)` on a constant list, or `k !== "a" && k !== "b"`: true for a key not listed. */
function rejectsUnlisted(cond: ts.Expression, key: string, f: Fold): boolean {
  const c = unwrap(cond);
  if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken)
    return listedCall(c.operand, key, f);
  return comparedWith(c, key, true, f);
}

/** The loop variable of `for (const k of Object.keys(x))`, `for (const [k] of Object.entries(x))` or `for (const k in x)`. */
function keyLoopVariable(st: ts.Statement, object: string): string | undefined {
  if (!ts.isForOfStatement(st) && !ts.isForInStatement(st)) return undefined;
  const list = st.initializer;
  const decl = ts.isVariableDeclarationList(list) && list.declarations.length === 1 ? list.declarations[0] : undefined;
  if (!decl) return undefined;
  if (ts.isForInStatement(st))
    return sameRef(st.expression, object) && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
  const call = unwrap(st.expression);
  const over =
    ts.isCallExpression(call) && lastName(receiverOf(call) ?? call) === "Object" ? calleeName(call) : undefined;
  if (!ts.isCallExpression(call) || !call.arguments[0] || !sameRef(call.arguments[0], object)) return undefined;
  if (over === "keys" && ts.isIdentifier(decl.name)) return decl.name.text;
  const first = ts.isArrayBindingPattern(decl.name) ? decl.name.elements[0] : undefined;
  return over === "entries" && first && ts.isBindingElement(first) && ts.isIdentifier(first.name)
    ? first.name.text
    : undefined;
}

/**
 * `for (const k of Object.keys(x)) { if (!ALLOWED.includes(k)) return …; }` (also `Object.entries`, `for … in`), or
 * `if (Object.keys(x).some((k) => !ALLOWED.includes(k))) throw …`: a statement after which every key of `x` is
 * listed.
 */
function checksEveryKey(st: ts.Statement, object: string, f: Fold): boolean {
  const key = keyLoopVariable(st, object);
  if (key && (ts.isForOfStatement(st) || ts.isForInStatement(st))) {
    const body = ts.isBlock(st.statement) ? st.statement.statements : [st.statement];
    for (const b of body) {
      if (
        ts.isIfStatement(b) &&
        !b.elseStatement &&
        leavesFunction(b.thenStatement) &&
        rejectsUnlisted(b.expression, key, f)
      )
        return true;
      // A statement that may skip the rest of the body lets the key through unchecked.
      let skips = false;
      walk(b, (n) => {
        if (ts.isContinueStatement(n) || ts.isBreakStatement(n)) skips = true;
        return ts.isFunctionLike(n) ? false : undefined;
      });
      if (skips) return false;
    }
    return false;
  }
  if (!ts.isIfStatement(st) || st.elseStatement || !leavesFunction(st.thenStatement)) return false;
  let cond = unwrap(st.expression);
  const negated = ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken;
  if (ts.isPrefixUnaryExpression(cond) && negated) cond = unwrap(cond.operand);
  if (!ts.isCallExpression(cond)) return false;
  const method = calleeName(cond);
  const keys = receiverOf(cond);
  const cb = cond.arguments[0] && unwrap(cond.arguments[0]);
  const param = cb && ts.isArrowFunction(cb) ? cb.parameters[0] : undefined;
  if (!keys || !cb || !ts.isArrowFunction(cb) || !param || !ts.isIdentifier(param.name) || ts.isBlock(cb.body))
    return false;
  const call = unwrap(keys);
  const ofObject =
    ts.isCallExpression(call) &&
    calleeName(call) === "keys" &&
    !!call.arguments[0] &&
    sameRef(call.arguments[0], object);
  if (!ofObject) return false;
  const k = param.name.text;
  if (method === "some" && !negated) return rejectsUnlisted(cb.body, k, f);
  return method === "every" && negated && listedCall(cb.body, k, f);
}

/**
 * Whether every key of the object `id` names was checked against a constant list before this use, in a block that
 * encloses it within the function (see `checksEveryKey`), and `id` is never reassigned.
 */
function keysCheckedBefore(id: ts.Identifier, f: Fold): boolean {
  if (!stableRef(id, f)) return false;
  for (
    let child: ts.Node = id, n = id.parent;
    n && !ts.isFunctionLike(n) && !ts.isSourceFile(n);
    child = n, n = n.parent
  ) {
    if (!ts.isBlock(n)) continue;
    const at = n.statements.indexOf(child as ts.Statement);
    if (at > 0 && n.statements.slice(0, at).some((st) => checksEveryKey(st, id.text, f))) return true;
  }
  return false;
}

/**
 * An object whose keys are all text the code wrote: a literal with its keys written out, a `const` holding one that
 * is never changed, a parameter every caller fills so, or a zod object schema's output (keys only).
 */
function fixedObject(e: ts.Expression, fold: Fold): FixedObject | undefined {
  const f = deeper(fold);
  const arg = unwrap(e);
  if (!f) return undefined;
  if (zodParsed(arg, f.modules)) return {};
  if (ts.isObjectLiteralExpression(arg)) return fixedLiteral(arg, f);
  if (!ts.isIdentifier(arg)) return undefined;
  // Keys of request input, each checked against a constant list before this use: keys only.
  if (keysCheckedBefore(arg, f)) return {};
  const d = resolveName(arg, f.modules);
  if (d && ts.isParameter(d))
    return !mutated(d, arg.text) &&
      constantParameter(d, f, { undefinedIsConstant: false }, (x, g) => fixedObject(x, g) !== undefined)
      ? {}
      : undefined;
  if (d && ts.isBindingElement(d))
    return everyReturned(d, f, (x, g) => fixedObject(x, g) !== undefined) ? {} : undefined;
  const fixed = d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
  if (!fixed) return undefined;
  if (!mutated(d, arg.text)) return fixedObject(d.initializer, f);
  // `const data = {}; data[field.name] = …`: keys added only under constant names keep the keys fixed.
  const keys = keyWrites(d, arg.text);
  return keys?.every((k) => constantText(k, f)) && fixedObject(d.initializer, f) ? {} : undefined;
}

/**
 * `const { data } = parse(body)`: whether `check` holds for the `data` of every object the function returns. A
 * returned object without it (`return { error }`) leaves `data` undefined, which no query can be built from.
 */
function everyReturned(d: ts.BindingElement, f: Fold, check: (x: ts.Expression, g: Fold) => boolean): boolean {
  const holder = d.parent.parent;
  const call = ts.isObjectBindingPattern(d.parent) && ts.isVariableDeclaration(holder) && holder.initializer;
  const e = call && unwrap(call);
  // A plain function call (`parseData(body)`): a method's body is found by scanning its object's importers.
  if (!e || !ts.isCallExpression(e) || !ts.isIdentifier(e.expression)) return false;
  const fn = calledFunction(e, f);
  const g = fn && intoCall(e, fn, f);
  const key = (d.propertyName ?? d.name).getText();
  const held = (r: ts.Expression): boolean => {
    const o = unwrap(r);
    if (!g || !ts.isObjectLiteralExpression(o)) return false;
    const p = o.properties.find((x) => x.name?.getText() === key);
    if (!p) return !o.properties.some(ts.isSpreadAssignment);
    if (ts.isShorthandPropertyAssignment(p)) return check(p.name, g);
    return ts.isPropertyAssignment(p) && check(p.initializer, g);
  };
  return !!fn && !!g && constantReturns(fn, g, held);
}

/** `Object.entries(MAP)` (also `keys`, `values`) over a fixed object (see `fixedObject`). */
function objectEntriesOf(
  e: ts.Expression,
  f: Fold,
): { method: string; object?: ts.ObjectLiteralExpression } | undefined {
  const g = deeper(f);
  const call = unwrap(e);
  if (!g) return undefined;
  if (ts.isIdentifier(call)) {
    // `const entries = Object.entries(x).filter(…)`, never changed.
    const d = resolveName(call, g.modules);
    const held = d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
    return held && !mutated(d, call.text) ? objectEntriesOf(d.initializer, g) : undefined;
  }
  if (!ts.isCallExpression(call)) return undefined;
  const method = calleeName(call) ?? "";
  const recv = receiverOf(call);
  const arg = call.arguments[0];
  if (SUBSETS.has(method) && recv) {
    // Some of the same entries; or, filtered on an allow-list of keys, entries whose keys are constant.
    const whole = objectEntriesOf(recv, g);
    if (whole) return whole;
    const entries = objectCall(recv, "entries");
    return method === "filter" && entries && allowListCallback(arg, g, true) ? { method: "entries" } : undefined;
  }
  if (!["entries", "keys", "values"].includes(method) || !recv || lastName(recv) !== "Object" || !arg) return undefined;
  const fixed = fixedObject(arg, g);
  return fixed && { method, ...fixed };
}

/** Array methods whose result holds some of the receiver's elements and nothing else. */
const SUBSETS = new Set(["filter", "slice", "reverse", "sort", "toSorted", "toReversed"]);

/** `Object.<method>(x)`. */
function objectCall(e: ts.Expression, method: string): ts.CallExpression | undefined {
  const call = unwrap(e);
  if (!ts.isCallExpression(call) || calleeName(call) !== method) return undefined;
  const recv = receiverOf(call);
  return recv && lastName(recv) === "Object" ? call : undefined;
}

/** The values of an object literal's properties (`{ a }` gives the name `a`). */
function propertyValues(o: ts.ObjectLiteralExpression): ts.Expression[] {
  return o.properties.flatMap((p) => {
    if (ts.isPropertyAssignment(p)) return [p.initializer];
    return ts.isShorthandPropertyAssignment(p) ? [p.name] : [];
  });
}

/**
 * `for (const [key, value] of Object.entries(MAP))`, `for (const value of Object.values(MAP))`: each value the
 * loop variable takes, or `keys` when it takes the (constant) keys; undefined when the loop is not over one.
 */
function loopEntryValues(d: ts.VariableDeclaration | ts.BindingElement, f: Fold): ts.Expression[] | "keys" | undefined {
  const inPair = ts.isBindingElement(d) && ts.isArrayBindingPattern(d.parent);
  const decl = inPair ? d.parent.parent : d;
  // A `for … of` variable, or the element parameter of `Object.entries(x).forEach(([k, v]) => …)`.
  const walked = (ts.isVariableDeclaration(decl) || ts.isParameter(decl)) && walkedArray(decl);
  if (!walked) return undefined;
  const source = objectEntriesOf(walked, f);
  if (!source) return undefined;
  const index = inPair && ts.isBindingElement(d) ? d.parent.elements.indexOf(d) : -1;
  if (source.method === "keys" || (source.method === "entries" && index === 0)) return index <= 0 ? "keys" : undefined;
  if (!source.object) return undefined;
  if (source.method === "values" && index === -1) return propertyValues(source.object);
  return source.method === "entries" && index === 1 ? propertyValues(source.object) : undefined;
}

/** A loop variable over a constant object's entries whose value (or, with `key`, whose property) is constant. */
function constantEntry(d: ts.VariableDeclaration | ts.BindingElement, f: Fold, key?: string): boolean {
  const values = loopEntryValues(d, f);
  if (values === "keys") return key === undefined;
  if (!values || values.length === 0) return false;
  return values.every((v) => (key === undefined ? constantText(v, f) : constantProperty(v, key, f)));
}

/** `for (const [column, type] of PAIRS)`: the destructured part of every element of a constant array literal. */
function constantLoopBinding(d: ts.BindingElement, f: Fold): boolean {
  const pattern = d.parent;
  const decl = pattern.parent;
  const loop = decl?.parent?.parent;
  if (!ts.isVariableDeclaration(decl) || !loop || !ts.isForOfStatement(loop)) return false;
  const list = arrayLiteralOf(loop.expression, f);
  if (!list || list.elements.length === 0) return false;
  return list.elements.every((el) => {
    const x = unwrap(el);
    if (ts.isArrayBindingPattern(pattern) && ts.isArrayLiteralExpression(x)) {
      const v = x.elements[pattern.elements.indexOf(d)];
      return !!v && !ts.isSpreadElement(v) && constantText(v, f);
    }
    return ts.isObjectBindingPattern(pattern) && ts.isObjectLiteralExpression(x)
      ? literalProperty(x, (d.propertyName ?? d.name).getText(), f)
      : false;
  });
}

/** `const { where } = build(…)`: the property `where` of what the initializer holds. */
function constantReturnedProperty(d: ts.BindingElement, f: Fold): boolean {
  const pattern = d.parent;
  const holder = pattern.parent;
  if (!ts.isObjectBindingPattern(pattern) || !ts.isVariableDeclaration(holder) || !holder.initializer) return false;
  const key = (d.propertyName ?? d.name).getText();
  return constantProperty(holder.initializer, key, f) || constantObjectLiteral(holder.initializer, f);
}

/**
 * A callback, written inline or passed by name (`ids.map(bind)`), whose result is constant: its index parameter
 * always is, its element and array parameters when the array is constant (`elementConstant`).
 */
function constantCallback(cb: ts.Expression | undefined, elementConstant: boolean, f: Fold): boolean {
  const inline = cb && unwrap(cb);
  const fn =
    inline && (ts.isArrowFunction(inline) || ts.isFunctionExpression(inline) ? inline : namedFunction(inline, f));
  if (inline && numberFunction(inline, f)) return true; // `ids.map(Number)`
  if (!fn || !isFunctionValue(fn)) return false;
  const trusted = new Set(f.trusted);
  fn.parameters.forEach((p, i) => {
    if (i === 1 || (i <= 2 && elementConstant)) trusted.add(p);
  });
  return constantFunction(fn, { ...f, trusted }, false);
}

const ELEMENT_CALLBACKS = new Set(["map", "forEach", "flatMap", "filter", "some", "every", "find"]);

/** `COLUMNS.forEach((c) => …)`: the callback's element parameter over a constant array, or its index. */
function constantElementParameter(p: ts.ParameterDeclaration, f: Fold): boolean {
  const fn = p.parent;
  const call = fn.parent;
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isCallExpression(call)) return false;
  if (call.arguments[0] !== fn || !ELEMENT_CALLBACKS.has(calleeName(call) ?? "")) return false;
  const index = fn.parameters.indexOf(p);
  const recv = receiverOf(call);
  return index === 1 || (index === 0 && !!recv && constantArray(recv, f));
}

function constantDeclaration(d: Resolved, id: ts.Identifier, f: Fold, asArray: boolean): boolean {
  if (f.trusted.has(d)) return true;
  if (ts.isParameter(d))
    return (
      (!asArray && constantType(d.type, d.getSourceFile())) ||
      (!asArray && constantElementParameter(d, f)) ||
      constantParameter(d, f, { undefinedIsConstant: !asArray }, (e, g) =>
        asArray ? constantArray(e, g) : constantText(e, g),
      )
    );
  if (ts.isVariableDeclaration(d)) return constantVariable(d, id.text, f, asArray) || (!asArray && constantEntry(d, f));
  if (ts.isBindingElement(d))
    return (
      constantReturnedProperty(d, f) ||
      constantLoopBinding(d, f) ||
      (!asArray && (constantEntry(d, f) || constantCallbackBinding(d, f)))
    );
  return false;
}

/**
 * `fields.map(([field]) => field)`, `cols.forEach(({ name }) => …)`: the part of each element that a callback's
 * destructured element parameter takes, constant when that part is in every element the array can hold.
 */
function constantCallbackBinding(d: ts.BindingElement, f: Fold): boolean {
  const pattern = d.parent;
  const p = pattern.parent;
  if (!ts.isParameter(p) || d.dotDotDotToken || !ts.isIdentifier(d.name)) return false;
  const fn = p.parent;
  const call = fn.parent;
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isCallExpression(call)) return false;
  if (call.arguments[0] !== fn || fn.parameters.indexOf(p) !== 0 || !ELEMENT_CALLBACKS.has(calleeName(call) ?? ""))
    return false;
  const recv = receiverOf(call);
  const key = ts.isArrayBindingPattern(pattern)
    ? String(pattern.elements.indexOf(d))
    : (d.propertyName ?? d.name).getText();
  return !!recv && constantElementProperty(recv, key, f);
}

/**
 * `x === "a"` (or `"a" == x`, `typeof x === "number"`); with `negated`, `x !== "a"`: a check that, when it holds
 * (or, negated, fails), leaves `name` a literal or a number.
 */
function comparedWith(e: ts.Expression, name: string, negated: boolean, f: Fold): boolean {
  const x = unwrap(e);
  if (!ts.isBinaryExpression(x)) return false;
  const op = x.operatorToken.kind;
  // `x === "a" || x === "b"` lets only the literals through, so does `x !== "a" && x !== "b"` when it exits: each
  // side must narrow. `x === "a" && y`, or an exit on `x !== "a" || y`, narrows when one side does.
  const both = negated ? ts.SyntaxKind.AmpersandAmpersandToken : ts.SyntaxKind.BarBarToken;
  const either = negated ? ts.SyntaxKind.BarBarToken : ts.SyntaxKind.AmpersandAmpersandToken;
  if (op === both) return comparedWith(x.left, name, negated, f) && comparedWith(x.right, name, negated, f);
  if (op === either) return comparedWith(x.left, name, negated, f) || comparedWith(x.right, name, negated, f);
  const equal = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken];
  const unequal = [ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
  if (!(negated ? unequal : equal).includes(op)) return false;
  const isName = (y: ts.Expression) => sameRef(y, name);
  const literal = (y: ts.Expression) => ts.isStringLiteralLike(unwrap(y)) || ts.isNumericLiteral(unwrap(y));
  // `typeof x === "number"`: a number or boolean's text cannot carry SQL either.
  const typeOf = (y: ts.Expression) => {
    const t = unwrap(y);
    return ts.isTypeOfExpression(t) && isName(t.expression);
  };
  const scalar = (y: ts.Expression) => {
    const t = unwrap(y);
    return ts.isStringLiteralLike(t) && ["number", "bigint", "boolean"].includes(t.text);
  };
  return (
    (isName(x.left) && literal(x.right)) ||
    (isName(x.right) && literal(x.left)) ||
    (typeOf(x.left) && scalar(x.right)) ||
    (typeOf(x.right) && scalar(x.left))
  );
}

/** A statement that always leaves its block: `return`, `throw`, `break`, `continue`, or a block ending in one. */
function exits(st: ts.Statement | undefined): boolean {
  if (!st) return false;
  if (ts.isBlock(st)) return exits(st.statements[st.statements.length - 1]);
  return ts.isReturnStatement(st) || ts.isThrowStatement(st) || ts.isBreakStatement(st) || ts.isContinueStatement(st);
}

/** Inside `case "a": case "b":` of `switch (name)`, reached from no other case or `default`. */
function inLiteralCases(clause: ts.CaseClause, name: string): boolean {
  const sw = clause.parent.parent;
  if (!sameRef(sw.expression, name)) return false;
  const clauses = clause.parent.clauses;
  let i = clauses.indexOf(clause);
  // Empty clauses above fall through into this one; one with statements must exit, or its values come too.
  while (i > 0 && clauses[i - 1]?.statements.length === 0) i--;
  const above = clauses[i - 1];
  if (above && !exits(above.statements[above.statements.length - 1])) return false;
  return clauses
    .slice(i, clauses.indexOf(clause) + 1)
    .every(
      (c) =>
        ts.isCaseClause(c) &&
        (ts.isStringLiteralLike(unwrap(c.expression)) || ts.isNumericLiteral(unwrap(c.expression))),
    );
}

/**
 * Whether a use of a name that is never reassigned sits where an equality check let only literals through:
 * after `if (x !== "a" && x !== "b") return …;`, inside `if (x === "a" || x === "b") …`, or in
 * `case "a": case "b":` of `switch (x)`. The check runs on the value itself, so even request input is one of them.
 */
function equalityNarrowed(id: ts.Identifier | ts.PropertyAccessExpression, f: Fold): boolean {
  if (!stableRef(id, f)) return false;
  const name = id.getText();
  for (
    let child: ts.Node = id, n = id.parent;
    n && !ts.isFunctionLike(n) && !ts.isSourceFile(n);
    child = n, n = n.parent
  ) {
    if (ts.isIfStatement(n) && n.thenStatement === child && comparedWith(n.expression, name, false, f)) return true;
    if (ts.isCaseClause(n) && n.statements.some((st) => st === child) && inLiteralCases(n, name)) return true;
    if (!ts.isBlock(n) && !ts.isCaseClause(n) && !ts.isDefaultClause(n)) continue;
    const statements: readonly ts.Statement[] = n.statements;
    const before = statements.slice(0, statements.indexOf(child as ts.Statement));
    const guarded = before.some(
      (st) =>
        ts.isIfStatement(st) &&
        !st.elseStatement &&
        exits(st.thenStatement) &&
        comparedWith(st.expression, name, true, f),
    );
    if (guarded) return true;
  }
  return false;
}

function constantIdentifier(id: ts.Identifier, f: Fold, asArray: boolean): boolean {
  const d = resolveName(id, f.modules);
  if (d && constantDeclaration(d, id, f, asArray)) return true;
  return (!asArray && (checkedAgainstList(id, f) || equalityNarrowed(id, f))) || typedConstant(id, f, asArray);
}

/** An object whose every property is constant: a `const` literal (also `as const`), an enum, or an import of one. */
function constantObjectLiteral(e: ts.Expression, f: Fold): boolean {
  let o = unwrap(e);
  if (ts.isIdentifier(o) || ts.isPropertyAccessExpression(o)) {
    const d = ts.isIdentifier(o) ? resolveName(o, f.modules) : resolveMember(o, f.modules);
    if (d && ts.isEnumDeclaration(d)) return true;
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const))
      return false;
    if (ts.isIdentifier(d.name) && mutated(d, d.name.text)) return false;
    o = unwrap(d.initializer);
  }
  return (
    ts.isObjectLiteralExpression(o) &&
    o.properties.every(
      (p) => ts.isPropertyAssignment(p) && (constantText(p.initializer, f) || constantArray(p.initializer, f)),
    )
  );
}

/** `ns.NAME` for a namespace import of a project module. */
function constantMember(e: ts.PropertyAccessExpression, f: Fold, asArray: boolean): boolean {
  const d = resolveMember(e, f.modules);
  return d !== undefined && ts.isIdentifier(e.name) && constantDeclaration(d, e.name, f, asArray);
}

/**
 * `(k) => ALLOWED.includes(k)` (also `SET.has(k)`, or one side of an `&&`): only listed elements pass; with
 * `entryKey`, `([k]) => …` over entries, only pairs with listed keys.
 */
function allowListCallback(cb: ts.Expression | undefined, f: Fold, entryKey = false): boolean {
  const fn = cb && unwrap(cb);
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  const first = fn.parameters[0]?.name;
  // `([key]) => ALLOWED.includes(key)` over `Object.entries(…)`: the key of each pair.
  const pair = entryKey && first && ts.isArrayBindingPattern(first) ? first.elements[0] : undefined;
  const param = entryKey ? (pair && ts.isBindingElement(pair) ? pair.name : undefined) : first;
  const returns = returnedValues(fn);
  if (!param || !ts.isIdentifier(param) || returns?.length !== 1 || !returns[0]) return false;
  const checks = (e: ts.Expression): boolean => {
    const x = unwrap(e);
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
      return checks(x.left) || checks(x.right);
    if (!ts.isCallExpression(x) || !["includes", "has"].includes(calleeName(x) ?? "")) return false;
    const arg = x.arguments[0] && unwrap(x.arguments[0]);
    const list = receiverOf(x);
    return !!arg && ts.isIdentifier(arg) && arg.text === param.text && !!list && constantArray(list, f);
  };
  return checks(returns[0]);
}

function constantArrayCall(e: ts.CallExpression | ts.NewExpression, f: Fold): boolean {
  const name = ts.isCallExpression(e) ? calleeName(e) : undefined;
  const recv = ts.isCallExpression(e) ? receiverOf(e) : undefined;
  const args = e.arguments ?? [];
  const ctor = ts.isNewExpression(e) && ts.isIdentifier(e.expression) ? e.expression.text : undefined;
  if (ctor === "Set") return !args[0] || constantArray(args[0], f);
  if (ctor === "Array" || name === "Array") return args.length <= 1; // `new Array(n)`: holes only
  if (name === "filter" && allowListCallback(args[0], f)) return true;
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
    return (
      !!args[0] && (constantObjectLiteral(args[0], f) || (name === "keys" && fixedObject(args[0], f) !== undefined))
    );
  if (name && ARRAY_KEEPERS.has(name) && recv)
    return constantArray(recv, f) && args.every((a) => !ts.isArrayLiteralExpression(a) || constantArray(a, f));
  if (name === "split" && recv) return constantText(recv, f);
  const fn = ts.isCallExpression(e) ? calledFunction(e, f) : undefined;
  return fn !== undefined && ts.isCallExpression(e) && constantFunction(fn, intoCall(e, fn, f), true);
}

/**
 * Whether an array expression can only hold constant text: a literal of constants, `ids.map(() => "?")`,
 * `Array(n).fill("?")`, `Object.keys(CONST)`, or a variable only ever filled with constants.
 */
export function constantArray(expr: ts.Expression, fold: Fold = startFold()): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  // The parts of one expression keep its depth (`fold`): depth counts hops to names and calls; the budget bounds both.
  if (ts.isArrayLiteralExpression(e))
    return e.elements.every((x) => (ts.isSpreadElement(x) ? constantArray(x.expression, fold) : constantText(x, fold)));
  if (ts.isIdentifier(e)) return constantIdentifier(e, f, true);
  if (ts.isPropertyAccessExpression(e))
    return (
      constantObjectLiteral(e.expression, f) ||
      constantMember(e, f, true) ||
      constantProperty(e.expression, e.name.text, f) ||
      constantClassField(e, f, constantArray) ||
      constantStaticField(e, f, constantArray) ||
      typedConstant(e, f, true)
    );
  if (ts.isCallExpression(e) || ts.isNewExpression(e)) return constantArrayCall(e, f) || typedConstant(e, f, true);
  if (ts.isConditionalExpression(e)) return constantArray(e.whenTrue, fold) && constantArray(e.whenFalse, fold);
  if (ts.isBinaryExpression(e) && EITHER_ARRAY.has(e.operatorToken.kind))
    return constantArray(e.left, fold) && constantArray(e.right, fold);
  // `COLUMNS_BY_TABLE[table]`: any entry of a fixed object of constant lists.
  if (ts.isElementAccessExpression(e)) return constantObjectLiteral(e.expression, f) || typedConstant(e, f, true);
  return false;
}

function constantCall(e: ts.CallExpression, f: Fold): boolean {
  const name = calleeName(e);
  const recv = receiverOf(e);
  if (name === "join" && recv) return constantArray(recv, f) && (!e.arguments[0] || constantText(e.arguments[0], f));
  if (numberCall(e, f) || generatedText(e, f) || constantMapLookup(e, f)) return true;
  if (name === "String" && !recv) return !!e.arguments[0] && constantText(e.arguments[0], f);
  if (name && SAME_TEXT_METHODS.has(name) && recv) return constantText(recv, f);
  if (name && REWRITE_METHODS.has(name) && recv && constantText(recv, f)) {
    const texts = name === "concat" ? e.arguments : e.arguments.slice(1);
    return texts.every((a) => constantText(a, f));
  }
  const fn = calledFunction(e, f);
  return (fn !== undefined && constantFunction(fn, intoCall(e, fn, f), false)) || typedConstant(e, f, false);
}

function constantAccess(e: ts.PropertyAccessExpression | ts.ElementAccessExpression, f: Fold): boolean {
  if (ts.isPropertyAccessExpression(e)) {
    if (e.name.text === "length" || e.name.text === "size") return true;
    if (f.vars.has(e.name.text) && lastName(e.expression) === "env") return true;
    if (constantObjectLiteral(e.expression, f) || constantMember(e, f, false)) return true;
    if (constantProperty(e.expression, e.name.text, f)) return true;
    if (constantClassField(e, f, constantText) || constantStaticField(e, f, constantText)) return true;
    // `if (!SORTS.includes(query.sort)) return …`, `if (query.dir !== "ASC" && query.dir !== "DESC") throw …`
    if (stableRef(e, f) && (checkedAgainstList(e, f) || equalityNarrowed(e, f))) return true;
  } else if (constantObjectLiteral(e.expression, f) || constantArray(e.expression, f)) return true;
  return typedConstant(e, f, false);
}

/**
 * Whether a value spliced into SQL text can only be text the code wrote itself.
 *
 * @example
 * // `SELECT * FROM t WHERE id IN (${ids.map(() => "?").join(", ")})`  → the splice is constant
 * constantText(span.expression); // true
 */
export function constantText(expr: ts.Expression, fold: Fold = startFold()): boolean {
  const f = deeper(fold);
  const e = unwrap(expr);
  if (!f) return false;
  if (ts.isStringLiteralLike(e) || ts.isNumericLiteral(e) || ts.isBigIntLiteral(e)) return true;
  const k = e.kind;
  if (k === ts.SyntaxKind.TrueKeyword || k === ts.SyntaxKind.FalseKeyword || k === ts.SyntaxKind.NullKeyword)
    return true;
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return true; // -x, x++: numbers
  // The parts of one expression keep its depth (`fold`): depth counts hops to names and calls; the budget bounds both.
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => constantText(s.expression, fold));
  if (ts.isConditionalExpression(e)) {
    // `LIST.includes(x) ? x : "desc"`: the branch the check guards holds one of LIST's values.
    const guarded = listGuarded(e, f);
    return (
      (guarded === "true" || constantText(e.whenTrue, fold)) && (guarded === "false" || constantText(e.whenFalse, fold))
    );
  }
  if (ts.isBinaryExpression(e)) {
    if (ARITHMETIC.has(e.operatorToken.kind)) return true;
    if (EITHER.has(e.operatorToken.kind)) return constantText(e.left, fold) && constantText(e.right, fold);
    return false;
  }
  if (ts.isIdentifier(e)) return e.text === "undefined" || constantIdentifier(e, f, false);
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) return constantAccess(e, f);
  if (ts.isCallExpression(e)) return constantCall(e, f);
  return false;
}
