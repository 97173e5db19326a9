import ts from "typescript";
import { calleeName, enclosingScope, receiverOf, unwrap, walk } from "./ast.js";

/** Values written into a place after its declaration: `values` are elements or text added, `arrays` whole values. */
export interface Writes {
  values: ts.Expression[];
  arrays: ts.Expression[];
}

const ADDERS = new Set(["push", "unshift", "splice"]);

function isAssignment(n: ts.Node): n is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(n) &&
    n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  );
}

/** Every write into the place `isTarget` names, within `scope`: `p = v`, `p += v`, `p[i] = v`, `p.push(v)`. */
function writesInto(scope: ts.Node, isTarget: (e: ts.Expression) => boolean): Writes {
  const values: ts.Expression[] = [];
  const arrays: ts.Expression[] = [];
  walk(scope, (n) => {
    if (isAssignment(n)) {
      const target = unwrap(n.left);
      if (isTarget(target)) (n.operatorToken.kind === ts.SyntaxKind.EqualsToken ? arrays : values).push(n.right);
      if (ts.isElementAccessExpression(target) && isTarget(target.expression)) values.push(n.right);
    }
    if (ts.isCallExpression(n) && ADDERS.has(calleeName(n) ?? "")) {
      const recv = receiverOf(n);
      // splice(start, count, ...items): only the items are written
      if (recv && isTarget(recv)) values.push(...(calleeName(n) === "splice" ? n.arguments.slice(2) : n.arguments));
    }
    return undefined;
  });
  return { values, arrays };
}

const named = (name: string) => (e: ts.Expression) => {
  const x = unwrap(e);
  return ts.isIdentifier(x) && x.text === name;
};

/** Every value written into variable `name` after its declaration: `x = v`, `x += v`, `x.push(v)`, `x[i] = v`. */
export function laterWrites(decl: ts.VariableDeclaration | ts.ParameterDeclaration, name: string): Writes {
  return writesInto(enclosingScope(decl), named(name));
}

/**
 * Every value written into property `key` of the object a variable or parameter holds (`up.clauses.push(v)`,
 * `up.clauses = v`, `up.clauses[i] = v`); `undefined` when the object is handed to `Object.assign`, whose writes
 * cannot be listed.
 *
 * @example
 * // const up = collect(fields); up.clauses.push("updated_at = datetime('now')")
 * memberWrites(upDecl, "up", "clauses"); // { values: ['"updated_at = datetime(\'now\')"'], arrays: [] }
 */
export function memberWrites(
  decl: ts.VariableDeclaration | ts.ParameterDeclaration,
  name: string,
  key: string,
): Writes | undefined {
  const holder = named(name);
  const scope = ts.isParameter(decl) ? decl.parent : enclosingScope(decl);
  let assigned = false;
  walk(scope, (n) => {
    const call = ts.isCallExpression(n) && calleeName(n) === "assign" && n.arguments[0];
    if (call && holder(call)) assigned = true;
    return assigned ? false : undefined;
  });
  if (assigned) return undefined;
  return writesInto(scope, (e) => {
    const x = unwrap(e);
    if (ts.isPropertyAccessExpression(x)) return x.name.text === key && holder(x.expression);
    if (!ts.isElementAccessExpression(x)) return false;
    const index = unwrap(x.argumentExpression);
    return ts.isStringLiteralLike(index) && index.text === key && holder(x.expression);
  });
}

/** How `name` changes after its declaration: computed keys written, written-out keys written, or anything else. */
function changesTo(decl: ts.VariableDeclaration | ts.ParameterDeclaration, name: string) {
  const keys: ts.Expression[] = [];
  let props = false;
  let other = false;
  const isName = (e: ts.Expression) => {
    const x = unwrap(e);
    return ts.isIdentifier(x) && x.text === name;
  };
  const rooted = (e: ts.Expression): boolean => {
    const x = unwrap(e);
    if (ts.isIdentifier(x)) return x.text === name;
    return (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) && rooted(x.expression);
  };
  walk(enclosingScope(decl), (n) => {
    if (other) return false;
    const call = ts.isCallExpression(n) ? n : undefined;
    const assign = call && calleeName(call) === "assign" && !!call.arguments[0] && rooted(call.arguments[0]);
    const recv = call && ADDERS.has(calleeName(call) ?? "") ? receiverOf(call) : undefined;
    if (assign || (recv && rooted(recv)) || (ts.isDeleteExpression(n) && rooted(n.expression))) other = true;
    if (!isAssignment(n) || !rooted(n.left)) return undefined;
    const left = unwrap(n.left);
    if (ts.isElementAccessExpression(left) && isName(left.expression)) keys.push(left.argumentExpression);
    else if (ts.isPropertyAccessExpression(left) && isName(left.expression)) props = true;
    else other = true;
    return undefined;
  });
  return { keys, props, other };
}

/**
 * Whether `name` is changed after its declaration: assigned, a property written or deleted, a list inside it
 * grown (`x.list.push(v)`), or `Object.assign`ed.
 */
export function mutated(decl: ts.VariableDeclaration | ts.ParameterDeclaration, name: string): boolean {
  const { keys, props, other } = changesTo(decl, name);
  return other || props || keys.length > 0;
}

/**
 * The computed keys written into an object after its declaration (`data[field.name] = v` gives `field.name`; `data.x
 * = v` adds a written-out key), or undefined when it changes any other way (reassigned, `Object.assign`, `delete`,
 * a nested write, an array method).
 *
 * @example
 * // const data = {}; for (const f of FIELDS) data[f.name] = String(values[f.name]);
 * keyWrites(decl, "data"); // [f.name]
 */
export function keyWrites(decl: ts.VariableDeclaration, name: string): ts.Expression[] | undefined {
  const { keys, other } = changesTo(decl, name);
  return other ? undefined : keys;
}
