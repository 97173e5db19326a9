import ts from "typescript";
import { calleeName, lastName, receiverOf, unwrap, walk } from "../../code/ast.js";
import type { CodeModules } from "../../code/modules.js";
import { functionNamed, handlerFunction, queueHandlers } from "../../code/queue-handlers.js";
import { finding, type SourceFileInfo, type WorkerCode } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/queue-without-idempotency",
  severity: "warning",
  summary: "A queue() handler with no idempotency wrapper and no processed-ID check.",
};

/** Wrappers and helpers whose name says they de-duplicate; query-builder upserts (`onConflictDoNothing()`). */
const IDEMPOTENT_NAME = /idempot|dedup|processed|alreadyHandled|seenBefore|exactlyOnce|^onConflict|^upsert/i;
/** Past this many functions a handler's calls are not followed further. */
const MAX_FOLLOWED = 200;
/** SQL that makes a replayed message a no-op. */
const IDEMPOTENT_SQL = /\binsert\s+or\s+ignore\b|\bon\s+conflict\b|\bprocessed\w*\b/i;
/** Storage reads and writes; keyed by the message id, they are a processed-ID store. */
const STORE_CALLS = new Set([
  "get",
  "put",
  "bind",
  "first",
  "run",
  "getWithMetadata",
  "idFromName",
  "getByName",
  "has",
]);

function mentionsMessageId(arg: ts.Expression): boolean {
  let hit = false;
  walk(arg, (n) => {
    if (hit || ts.isObjectLiteralExpression(n)) return false;
    if (ts.isPropertyAccessExpression(n) && /^(id|messageId|eventId|idempotencyKey)$/.test(n.name.text)) hit = true;
    return undefined;
  });
  return hit;
}

/** Names imported from blastwall's queue library: any call to one counts as the idempotency wrapper. */
function blastwallQueueImports(sf: ts.SourceFile): Set<string> {
  const out = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (!st.moduleSpecifier.text.startsWith("blastwall/queues")) continue;
    const b = st.importClause?.namedBindings;
    if (b && ts.isNamedImports(b)) for (const el of b.elements) out.add(el.name.text);
  }
  return out;
}

function isIdempotent(handler: ts.Node, sf: ts.SourceFile, modules: CodeModules | undefined): boolean {
  const wrappers = blastwallQueueImports(sf);
  const seen = new Set<ts.Node>();
  const check = (root: ts.Node): boolean => {
    if (seen.has(root) || seen.size > MAX_FOLLOWED) return false;
    seen.add(root);
    let ok = false;
    walk(root, (n) => {
      if (ok) return false;
      if (ts.isStringLiteralLike(n) && IDEMPOTENT_SQL.test(n.text)) ok = true;
      else if (ts.isTemplateExpression(n) && IDEMPOTENT_SQL.test(n.head.text)) ok = true;
      else if (ts.isCallExpression(n)) {
        const name = calleeName(n) ?? "";
        if (IDEMPOTENT_NAME.test(name) || wrappers.has(name)) ok = true;
        else if (STORE_CALLS.has(name) && n.arguments.some(mentionsMessageId)) ok = true;
        else {
          const callee = unwrap(n.expression);
          const fn = ts.isIdentifier(callee) ? functionNamed(callee, modules) : undefined;
          if (fn && check(fn)) ok = true;
        }
      } else if (ts.isIdentifier(n) && n.parent && ts.isPropertyAssignment(n.parent) && n.parent.initializer === n) {
        const fn = functionNamed(n, modules);
        if (fn && check(fn)) ok = true;
      }
      return undefined;
    });
    return ok;
  };
  return check(handler);
}

/** Calls that change nothing outside the handler: logging, settling messages, JSON. */
const NO_EFFECT = new Set(["ack", "retry", "ackAll", "retryAll"]);
const NO_EFFECT_RECEIVERS = new Set(["console", "JSON"]);

/** Whether a handler does anything a redelivery could repeat: any call besides logging and ack/retry. */
function hasSideEffects(handler: ts.Node): boolean {
  const fn = ts.isPropertyAssignment(handler) ? unwrap(handler.initializer) : handler;
  // `queue: handleBatch`, `queue: wrap(fn)`: the work happens elsewhere, so assume it has effects.
  if (!ts.isMethodDeclaration(fn) && !ts.isFunctionLike(fn)) return true;
  let effect = false;
  walk(fn, (n) => {
    if (effect) return false;
    if (!ts.isCallExpression(n)) return undefined;
    const name = calleeName(n) ?? "";
    const receiver = lastName(receiverOf(n));
    if (!NO_EFFECT.has(name) && !NO_EFFECT_RECEIVERS.has(receiver ?? "")) effect = true;
    return undefined;
  });
  return effect;
}

function fixFor(code: WorkerCode): string {
  const d1 = [...code.bindings.d1][0];
  const kv = [...code.bindings.kv][0];
  if (d1) {
    return `record each message id before acting and skip repeats, e.g. \`const { meta } = await env.${d1}.prepare("INSERT OR IGNORE INTO processed_messages (id) VALUES (?)").bind(msg.id).run(); if (meta.changes === 0) { msg.ack(); continue; }\``;
  }
  if (kv) {
    return `check a processed-ID store, e.g. if (await env.${kv}.get(\`processed:\${msg.id}\`)) { msg.ack(); continue; } before, and await env.${kv}.put(\`processed:\${msg.id}\`, "1", { expirationTtl: 86400 }) after (KV is eventually consistent; use D1 or a Durable Object when a duplicate must never run)`;
  }
  return "wrap the handler in an idempotent consumer that stores processed message ids (D1 or a Durable Object) and skips repeats";
}

/** Queues deliver at least once: a handler that cannot tell a redelivery repeats its side effects. */
export default defineRule({
  meta,
  checkSource({ code, source, modules }: { code: WorkerCode; source: SourceFileInfo; modules?: CodeModules }) {
    const out: Finding[] = [];
    for (const h of queueHandlers(source.sf)) {
      const fn = handlerFunction(h, modules);
      // A consumer that only logs and acks has nothing a redelivery could repeat.
      if (!hasSideEffects(fn) || isIdempotent(fn, source.sf, modules)) continue;
      out.push(
        finding(
          meta,
          source,
          h,
          "this queue() handler neither uses an idempotency wrapper nor checks a processed-ID store: Queues delivers at least once, so a retried or duplicated message repeats its side effects (double charges, duplicate emails)",
          fixFor(code),
        ),
      );
    }
    return out;
  },
});
