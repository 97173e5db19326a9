import ts from "typescript";
import {
  calleeName,
  constantString,
  enclosingScope,
  findDeclaration,
  lastName,
  receiverOf,
  unwrap,
  walk,
} from "../../code/ast.js";
import { resolveName } from "../../code/declarations.js";
import type { CodeModules } from "../../code/modules.js";
import { type FunctionValue, functionOf, isFunctionValue, returnedValues } from "../../code/sql-constant.js";
import { laterWrites } from "../../code/writes.js";

/** Names that hold the incoming request in Workers, Hono and itty-router handlers. */
const REQUEST_ROOTS = new Set(["request", "req", "params", "query", "searchParams", "url"]);
/** Calls that check or clean a value; a value passed through one counts as validated. */
const VALIDATOR =
  /^(test|match|exec|search|safeParse|parse|assert\w*|is[A-Z_]\w*|valid\w*|sanitiz\w*|sanitis\w*|check\w*|verify\w*|ensure\w*|normali[sz]e\w*|has|includes|startsWith|endsWith)$/;

/** True when a call is a validator: `RE.test(x)`, `schema.parse(x)`, `isSafeKey(x)`, `x.startsWith(…)`. */
export function isValidatorCall(call: ts.CallExpression): boolean {
  const name = calleeName(call);
  return name !== undefined && VALIDATOR.test(name);
}

/** `c.req.valid("param")` (Hono validator middleware) yields already-validated input. */
function isValidatedInput(e: ts.Expression): boolean {
  return ts.isCallExpression(e) && calleeName(e) === "valid";
}

/**
 * Calls that turn the request into the caller's identity (`authenticate(request, env)`, `getSession(c)`,
 * `requireUser(c)`): what they return is who the server verified, not a value the caller wrote.
 */
const IDENTITY_CALL =
  /^(authenticate\w*|authori[sz]e\w*|requireAuth\w*|require(User|Session|Account|Member|Admin)\w*|get(Session|User|CurrentUser|Auth|Identity|Principal|Account)\w*|current(User|Session|Account)|auth)$/;

function isIdentityCall(e: ts.Expression): boolean {
  return ts.isCallExpression(e) && IDENTITY_CALL.test(calleeName(e) ?? "");
}

/** Parameter types that hold a storage client, not request data. */
const STORAGE_TYPE =
  /\b(D1Database|KVNamespace|R2Bucket|R2Object\w*|DurableObjectStorage|DurableObjectStub|SqlStorage|\w*D1Database|Kysely|PrismaClient|DrizzleD1Database)\b/;

/** `env.X`, `c.env.X`, `this.env.X`, `ctx.storage`: a binding (or var) or Durable Object storage, never request input. */
function isBindingAccess(e: ts.Expression): boolean {
  let n = unwrap(e);
  while (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n)) {
    const inner = unwrap(n.expression);
    if (ts.isPropertyAccessExpression(n) && n.name.text === "storage") return true;
    if ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) && lastName(inner) === "env") return true;
    n = inner;
  }
  return false;
}

/** The object a member/call chain starts from: `db` in `db.select().from(t).where(…).get()`. */
function chainRoot(e: ts.Expression): ts.Expression {
  let n = unwrap(e);
  while (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n))
    n = unwrap(n.expression);
  return n;
}

/** A storage client: a binding, or what a call or `new` makes of one (`drizzle(c.env.DB)`). */
function isStorageClient(e: ts.Expression, depth: number): boolean {
  const n = unwrap(e);
  if (isBindingAccess(n)) return true;
  if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && (n.arguments ?? []).some(isBindingAccess)) return true;
  const root = chainRoot(n);
  if (!ts.isIdentifier(root) || depth > 4) return false;
  const d = findDeclaration(root.text, root);
  if (d && ts.isParameter(d)) return !!d.type && STORAGE_TYPE.test(d.type.getText());
  return !!d && ts.isVariableDeclaration(d) && !!d.initializer && isStorageClient(d.initializer, depth + 1);
}

/**
 * A read from storage: a call chain on a binding or a client made from one (a D1 row, a KV value, an R2 object).
 * Its result is data the Worker stored, not request input, even when the query was keyed by request input.
 */
function readsStorage(e: ts.Expression): boolean {
  const n = unwrap(e);
  return ts.isCallExpression(n) && isStorageClient(n, 0);
}

/** A literal: a string (or a `const` bound to one), number, boolean, `null` or `undefined`. */
function isLiteralValue(v: ts.Expression): boolean {
  const e = unwrap(v);
  return (
    constantString(e) !== undefined ||
    ts.isNumericLiteral(e) ||
    [ts.SyntaxKind.NullKeyword, ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword].includes(e.kind) ||
    (ts.isIdentifier(e) && e.text === "undefined")
  );
}

/** Calls that answer the request instead of returning data: `c.json(…)`, `c.text(…)`, `Response.json(…)`. */
const RESPONSE_CALLS = new Set(["json", "text", "html", "body", "redirect", "notFound", "newResponse"]);

/** A value a helper may return besides stored data: a response, `null`/`undefined`, or a row it read. */
function storedOrResponse(r: ts.Expression): boolean {
  const e = unwrap(r);
  if (readsStorage(e) || e.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isNewExpression(e)) return lastName(e.expression) === "Response";
  if (ts.isCallExpression(e)) return RESPONSE_CALLS.has(calleeName(e) ?? "");
  // `{ ...row, storage: "quiz" as const }`: a stored row with constant fields added.
  if (ts.isObjectLiteralExpression(e))
    return e.properties.every((p) =>
      ts.isSpreadAssignment(p)
        ? storedOrResponse(p.expression)
        : ts.isPropertyAssignment(p) && isLiteralValue(p.initializer),
    );
  if (!ts.isIdentifier(e)) return false;
  if (e.text === "undefined") return true;
  const d = findDeclaration(e.text, e);
  return !!d && ts.isVariableDeclaration(d) && !!d.initializer && readsStorage(unwrap(d.initializer));
}

/**
 * A call of the project's own helper whose every `return` is a row it read from storage or a response
 * (`requireProject(c, slug)` that looks the project up and answers 403/404 otherwise): its result is stored data,
 * like a direct read, even when the lookup was keyed by the request.
 */
function storageHelperCall(e: ts.Expression, modules: CodeModules | undefined): boolean {
  const fn = ts.isCallExpression(e) ? calledHelper(e, modules) : undefined;
  return (fn && returnedValues(fn)?.every(storedOrResponse)) ?? false;
}

/** The project's own function a call names (`f(…)` for `function f` or `const f = () => …`), if it can be read. */
function calledHelper(call: ts.CallExpression, modules: CodeModules | undefined): FunctionValue | undefined {
  const callee = unwrap(call.expression);
  const fn = ts.isIdentifier(callee) ? functionOf(resolveName(callee, modules)) : undefined;
  return fn && isFunctionValue(fn) ? fn : undefined;
}

/** Whether `name` is checked anywhere in its scope: passed to a validator, or the receiver of one. */
function isValidated(name: string, scope: ts.Node): boolean {
  let hit = false;
  walk(scope, (n) => {
    if (hit) return false;
    if (!ts.isCallExpression(n) || !isValidatorCall(n)) return undefined;
    const recv = receiverOf(n);
    const uses = (e: ts.Expression | undefined) => {
      if (!e) return false;
      const u = unwrap(e);
      return (
        (ts.isIdentifier(u) && u.text === name) ||
        (ts.isPropertyAccessExpression(u) && ts.isIdentifier(u.expression) && u.expression.text === name)
      );
    };
    if (
      n.arguments.some(uses) ||
      (recv && ["startsWith", "endsWith", "includes", "match"].includes(calleeName(n) ?? "") && uses(recv))
    ) {
      hit = true;
    }
    return undefined;
  });
  return hit;
}

/** Whether each parameter of a helper being followed holds request input at the call being judged. */
type ParameterTaint = ReadonlyMap<ts.ParameterDeclaration, boolean>;

/**
 * The result of a call of the project's own function, judged by what it returns with each parameter holding what
 * the call passes (`commit(env, row, input)` returning `{ row, deleteKey: row.pending_key }` carries no request
 * input when `row` is a stored row, whatever `input` holds). Undefined when the callee cannot be read, or a
 * destructured parameter receives request input: then every argument counts, as for any other call.
 */
function helperResultTainted(
  call: ts.CallExpression,
  modules: CodeModules | undefined,
  depth: number,
  params: ParameterTaint,
): boolean | undefined {
  const fn = calledHelper(call, modules);
  const returned = fn && returnedValues(fn);
  if (!fn || !returned || returned.length === 0) return undefined;
  const inner = new Map(params);
  for (const [i, p] of fn.parameters.entries()) {
    // A rest parameter holds every argument from its position on.
    const args = p.dotDotDotToken ? call.arguments.slice(i) : call.arguments.slice(i, i + 1);
    const tainted = args.some((a) => requestTainted(a, modules, depth + 1, params));
    if (tainted && !ts.isIdentifier(p.name)) return undefined;
    inner.set(p, tainted);
  }
  return returned.some((r) => requestTainted(r, modules, depth + 1, inner));
}

/**
 * Whether an expression carries unvalidated request input (URL, params, query, headers or body), following
 * `const x = …` declarations within the file. Values that pass through a validator are clean, and so are values
 * read from storage (a D1 row, KV, R2, Durable Object storage), even when the read was keyed by request input.
 *
 * @example
 * // const key = c.req.param("key"); await env.BUCKET.get(key)  → tainted
 * // if (!KEY.test(key)) return …;                             → clean
 */
export function requestTainted(
  expr: ts.Expression,
  modules?: CodeModules,
  depth = 0,
  params: ParameterTaint = new Map(),
): boolean {
  if (depth > 6) return false;
  const e = unwrap(expr);
  if (isValidatedInput(e) || readsStorage(e) || storageHelperCall(e, modules) || isIdentityCall(e)) return false;
  const viaHelper = ts.isCallExpression(e) ? helperResultTainted(e, modules, depth, params) : undefined;
  if (viaHelper !== undefined) return viaHelper;
  if (ts.isCallExpression(e) && isValidatorCall(e) && calleeName(e) !== "match") return false;
  if (ts.isPropertyAccessExpression(e) && (e.name.text === "req" || e.name.text === "params")) return true;
  let tainted = false;
  const visit = (n: ts.Node): void => {
    if (tainted) return;
    if (
      ts.isExpression(n) &&
      n !== e &&
      (isValidatedInput(n) || readsStorage(n) || storageHelperCall(n, modules) || isIdentityCall(n))
    )
      return;
    if (ts.isCallExpression(n) && n !== e && isValidatorCall(n) && calleeName(n) !== "match") return;
    // `params.sort === "atk" ? A : B` is A or B: the condition picks a branch, none of its text reaches the value.
    if (ts.isConditionalExpression(n)) {
      visit(n.whenTrue);
      visit(n.whenFalse);
      return;
    }
    if (ts.isPropertyAccessExpression(n)) {
      if (n.name.text === "req" || n.name.text === "params") {
        tainted = true;
        return;
      }
      visit(n.expression);
      return;
    }
    if (ts.isIdentifier(n)) {
      if (isValidated(n.text, enclosingScope(n))) return;
      const d = findDeclaration(n.text, n);
      if (!d) return;
      if (ts.isParameter(d)) {
        tainted = params.get(d) ?? REQUEST_ROOTS.has(n.text);
        return;
      }
      if (ts.isVariableDeclaration(d)) {
        // `let form; try { form = await c.req.formData(); } …`: what it is declared with and assigned later.
        const held = [...(d.initializer ? [d.initializer] : []), ...laterWrites(d, n.text).arrays];
        tainted = held.some((v) => requestTainted(v, modules, depth + 1, params));
        return;
      }
      if (ts.isBindingElement(d)) {
        // `const { key } = await c.req.json()`: the destructured value comes from its container.
        let container: ts.Node = d.parent;
        while (
          ts.isObjectBindingPattern(container) ||
          ts.isArrayBindingPattern(container) ||
          ts.isBindingElement(container)
        ) {
          container = container.parent;
        }
        if (ts.isVariableDeclaration(container) && container.initializer)
          tainted = requestTainted(container.initializer, modules, depth + 1, params);
        else if (ts.isParameter(container)) tainted = REQUEST_ROOTS.has(n.text) || d.name.getText() === "params";
      }
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(e);
  return tainted;
}
