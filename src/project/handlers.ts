import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ts from "typescript";
import type { WranglerConfig } from "./wrangler-config.js";

/**
 * What a Worker does, read from its code and its config. A Worker may be several at once: one module can export
 * `fetch`, `queue` and `scheduled` together, and each of those is handled as what it is.
 */
export type WorkerKind = "http" | "queue-consumer" | "scheduled";

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

type DefaultExport = ts.ObjectLiteralExpression | ts.ClassLikeDeclaration;

function declaredAs(sf: ts.SourceFile, name: string): ts.Expression | ts.ClassDeclaration | undefined {
  let found: ts.Expression | ts.ClassDeclaration | undefined;
  for (const s of sf.statements) {
    if (ts.isClassDeclaration(s) && s.name?.text === name) found = s;
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) found = unwrap(d.initializer);
      }
    }
  }
  return found;
}

/**
 * What a module default-exports, following `export default app` to its declaration: the handler object or
 * entrypoint class, `other` for any other value (`new Hono()`: an app with only `fetch`), or undefined when there
 * is no default export in this file.
 */
export function defaultExportOf(sf: ts.SourceFile): DefaultExport | "other" | undefined {
  for (const st of sf.statements) {
    if (ts.isExportAssignment(st) && !st.isExportEquals) {
      let e: ts.Expression | ts.ClassDeclaration | undefined = unwrap(st.expression);
      if (ts.isIdentifier(e)) e = declaredAs(sf, e.text) ?? e;
      if (ts.isClassDeclaration(e) || ts.isObjectLiteralExpression(e) || ts.isClassExpression(e)) return e;
      return ts.isIdentifier(e) ? undefined : "other";
    }
    if (ts.isClassDeclaration(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) {
      return st;
    }
  }
  return undefined;
}

/** The object or class a module default-exports, following `export default app` to its declaration. */
export function defaultExport(sf: ts.SourceFile): DefaultExport | undefined {
  const e = defaultExportOf(sf);
  return e === "other" ? undefined : e;
}

/** The members of a default-exported handler object or entrypoint class, by name. */
export function handlerMembers(target: DefaultExport): Map<string, ts.Node> {
  const out = new Map<string, ts.Node>();
  const members: readonly ts.Node[] = ts.isObjectLiteralExpression(target) ? target.properties : target.members;
  for (const m of members) {
    const name = memberName(m);
    if (name && !out.has(name)) out.set(name, m);
  }
  return out;
}

const HANDLER_KINDS: [string, WorkerKind][] = [
  ["fetch", "http"],
  ["queue", "queue-consumer"],
  ["scheduled", "scheduled"],
];

/** The handlers the entry module exports, or undefined when the code cannot say (no main, unreadable, re-export). */
function kindsFromCode(config: WranglerConfig): Set<WorkerKind> | undefined {
  if (!config.main) return undefined;
  let text: string;
  try {
    text = readFileSync(resolve(dirname(config.path), config.main), "utf8");
  } catch {
    return undefined;
  }
  const exported = defaultExportOf(ts.createSourceFile(config.main, text, ts.ScriptTarget.Latest, false));
  if (exported === undefined) return undefined;
  if (exported === "other") return new Set(["http"]);
  const members = handlerMembers(exported);
  return new Set(HANDLER_KINDS.flatMap(([member, kind]) => (members.has(member) ? [kind] : [])));
}

/**
 * Every kind a Worker is, in the order http, queue-consumer, scheduled. The entry module's default export says which
 * handlers exist; the config adds what it binds (queue consumers, cron triggers). When the code cannot be read, a
 * Worker that consumes no queue is taken to serve HTTP.
 *
 * @example
 * workerKinds(loadWranglerConfig("app/wrangler.jsonc")); // ["http", "queue-consumer", "scheduled"]
 */
export function workerKinds(config: WranglerConfig): WorkerKind[] {
  const kinds = kindsFromCode(config) ?? new Set<WorkerKind>(config.queues.consumers.length > 0 ? [] : ["http"]);
  if (config.queues.consumers.length > 0) kinds.add("queue-consumer");
  if ((config.triggers?.crons ?? []).length > 0) kinds.add("scheduled");
  return HANDLER_KINDS.map(([, kind]) => kind).filter((k) => kinds.has(k));
}
