import ts from "typescript";
import { calleeName, memberName, unwrap, walk } from "./ast.js";
import { resolveName } from "./declarations.js";
import type { CodeModules } from "./modules.js";

/** The function a name refers to, in this file or (through imports) another project file. */
export function functionNamed(id: ts.Identifier, modules: CodeModules | undefined): ts.Node | undefined {
  const d = resolveName(id, modules);
  if (d && ts.isFunctionDeclaration(d)) return d;
  const init = d && ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
  return init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init) || ts.isCallExpression(init))
    ? init
    : undefined;
}

/**
 * The function a handler member stands for: a method's own body, the function a shorthand `queue` or `queue: handle`
 * names, or the member itself when it is something else (`queue: wrap(fn)`).
 */
export function handlerFunction(h: ts.Node, modules: CodeModules | undefined): ts.Node {
  const init = ts.isPropertyAssignment(h) ? unwrap(h.initializer) : undefined;
  const named = ts.isShorthandPropertyAssignment(h) ? h.name : init && ts.isIdentifier(init) ? init : undefined;
  return (named && functionNamed(named, modules)) ?? h;
}

/** `queue` members of objects and classes in a file: the default export's, or any handler object's. */
export function queueHandlers(sf: ts.SourceFile): ts.Node[] {
  const out: ts.Node[] = [];
  // Fast path: a file that never spells "queue" cannot declare a queue() handler.
  if (!sf.text.includes("queue")) return out;
  walk(sf, (n) => {
    if (memberName(n) !== "queue") return undefined;
    const owner = n.parent;
    const isHandlerObject =
      (ts.isObjectLiteralExpression(owner) &&
        owner.properties.some((p) => ["fetch", "scheduled"].includes(memberName(p) ?? ""))) ||
      (ts.isObjectLiteralExpression(owner) && ts.isExportAssignment(owner.parent)) ||
      (ts.isObjectLiteralExpression(owner) &&
        (ts.isSatisfiesExpression(owner.parent) || ts.isAsExpression(owner.parent))) ||
      ts.isClassLike(owner);
    // `queue: "orders"` in a settings object is data, not a handler.
    const isFunctionValue =
      ts.isMethodDeclaration(n) ||
      ts.isShorthandPropertyAssignment(n) ||
      (ts.isPropertyAssignment(n) &&
        (ts.isIdentifier(unwrap(n.initializer)) ||
          ts.isCallExpression(unwrap(n.initializer)) ||
          ts.isFunctionLike(unwrap(n.initializer))));
    if (isHandlerObject && isFunctionValue) out.push(n);
    return undefined;
  });
  return out;
}

/** Past this many functions a handler's calls are not followed. */
const MAX_FOLLOWED = 50;

/** The handler and the same-file functions it calls, by name, each once. */
function reachedFunctions(handler: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const queue = [handler];
  for (let fn = queue.shift(); fn && out.length < MAX_FOLLOWED; fn = queue.shift()) {
    if (out.includes(fn)) continue;
    out.push(fn);
    walk(fn, (n) => {
      const callee = ts.isCallExpression(n) ? unwrap(n.expression) : undefined;
      const target = callee && ts.isIdentifier(callee) ? functionNamed(callee, undefined) : undefined;
      if (target && target.getSourceFile() === handler.getSourceFile() && ts.isFunctionLike(target)) queue.push(target);
      return undefined;
    });
  }
  return out;
}

/** Whether `node` sits in the try block of a `try … catch` whose catch throws nothing, below `root`. */
function caught(node: ts.Node, root: ts.Node): boolean {
  for (let n: ts.Node = node; n !== root && n.parent; n = n.parent) {
    const p = n.parent;
    if (ts.isTryStatement(p) && p.tryBlock === n && p.catchClause) {
      let rethrows = false;
      walk(p.catchClause, (c) => {
        if (ts.isThrowStatement(c)) rethrows = true;
        return rethrows ? false : undefined;
      });
      if (!rethrows) return true;
    }
    if (ts.isFunctionLike(p)) return false;
  }
  return false;
}

/** `Promise.all(…)` / `allSettled`: it rejects only with its members' errors, which are judged where they start. */
function promiseCombinator(e: ts.Expression): boolean {
  const x = unwrap(e);
  return (
    ts.isCallExpression(x) &&
    ts.isPropertyAccessExpression(x.expression) &&
    ts.isIdentifier(x.expression.expression) &&
    x.expression.expression.text === "Promise" &&
    ["all", "allSettled"].includes(x.expression.name.text)
  );
}

function delayed(call: ts.CallExpression): boolean {
  const [opts] = call.arguments;
  return !!opts && ts.isObjectLiteralExpression(opts) && opts.properties.some((p) => memberName(p) === "delaySeconds");
}

/**
 * Whether a queue handler never lets a message come back at once: every `retry()` / `retryAll()` it makes passes
 * `delaySeconds`, and every awaited step and `throw` sits in a `try` whose `catch` does not rethrow (an uncaught
 * error redelivers the whole batch with the consumer's `retry_delay`, 0 when unset). Undefined when the handler
 * cannot be read as a function.
 *
 * @example
 * // async queue(batch) { for (const m of batch.messages) { try { await work(m) } catch { m.retry({ delaySeconds: 60 }) } } }
 * handlerDelaysRetries(member); // true
 */
export function handlerDelaysRetries(member: ts.Node): boolean | undefined {
  const handler = handlerFunction(member, undefined);
  if (!ts.isFunctionLike(handler)) return undefined;
  let immediate = false;
  for (const fn of reachedFunctions(handler)) {
    walk(fn, (n) => {
      if (immediate) return false;
      if (ts.isCallExpression(n) && ["retry", "retryAll"].includes(calleeName(n) ?? "") && !delayed(n))
        immediate = true;
      else if (ts.isAwaitExpression(n) && !promiseCombinator(n.expression) && !caught(n, fn)) immediate = true;
      else if (ts.isThrowStatement(n) && !caught(n, fn)) immediate = true;
      return undefined;
    });
  }
  return !immediate;
}
