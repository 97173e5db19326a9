import ts from "typescript";
import { calleeName, memberName, nodeIndex, unwrap } from "../../code/ast.js";
import { finding, type SourceFileInfo, type WorkerCode } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "queues/max-attempts",
  severity: "warning",
  summary: "consume()'s maxAttempts must be the consumer's max_retries + 1.",
};

/** Cloudflare's `max_retries` when the consumer config leaves it out, and consume()'s matching default. */
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_ATTEMPTS = DEFAULT_MAX_RETRIES + 1;

/** Local names `consume` is imported as from blastwall/queues. */
function consumeNames(sf: ts.SourceFile): Set<string> {
  const out = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (st.moduleSpecifier.text !== "blastwall/queues") continue;
    const b = st.importClause?.namedBindings;
    if (!b || !ts.isNamedImports(b)) continue;
    for (const el of b.elements) if ((el.propertyName ?? el.name).text === "consume") out.add(el.name.text);
  }
  return out;
}

/** The options object literal, following a `const options = { … }` of the same file. */
function optionsObject(arg: ts.Expression | undefined, sf: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  if (arg === undefined) return undefined;
  const e = unwrap(arg);
  if (ts.isObjectLiteralExpression(e)) return e;
  if (!ts.isIdentifier(e)) return undefined;
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.name.text === e.text && d.initializer) {
        const init = unwrap(d.initializer);
        return ts.isObjectLiteralExpression(init) ? init : undefined;
      }
    }
  }
  return undefined;
}

/** The maxAttempts a consume() call runs with, where the code says it: written as a number, or left to the default. */
function maxAttemptsOf(options: ts.ObjectLiteralExpression): { value: number; node: ts.Node } | undefined {
  const written = options.properties.find((p) => memberName(p) === "maxAttempts");
  if (written !== undefined) {
    if (!ts.isPropertyAssignment(written)) return undefined;
    const v = unwrap(written.initializer);
    return ts.isNumericLiteral(v) ? { value: Number(v.text), node: written } : undefined;
  }
  // A spread may carry maxAttempts from elsewhere: unknown, so no finding.
  if (options.properties.some(ts.isSpreadAssignment)) return undefined;
  return { value: DEFAULT_MAX_ATTEMPTS, node: options };
}

/** Each consumer of the Worker once, with its max_retries as the platform applies it. */
function consumersOf(code: WorkerCode): { queue: string; maxRetries: number }[] {
  const seen = new Map<string, { queue: string; maxRetries: number }>();
  for (const s of code.sections) {
    for (const c of s.settings.queues.consumers) {
      const maxRetries = c.max_retries ?? DEFAULT_MAX_RETRIES;
      seen.set(`${c.queue}\u0000${maxRetries}`, { queue: c.queue, maxRetries });
    }
  }
  return [...seen.values()];
}

function mismatch(
  source: SourceFileInfo,
  at: { value: number; node: ts.Node },
  c: { queue: string; maxRetries: number },
  configFile: string,
): Finding {
  const expected = c.maxRetries + 1;
  const said =
    at.node.kind === ts.SyntaxKind.ObjectLiteralExpression
      ? `maxAttempts (default ${at.value})`
      : `maxAttempts ${at.value}`;
  const effect =
    at.value > expected
      ? `the platform gives up after delivery ${expected}, so consume() never sees its last ${at.value - expected} attempt(s): its own dead-letter step (with the error and original body) never runs, and with no dead_letter_queue the message is deleted`
      : `consume() dead-letters a message on delivery ${at.value} although the queue would still retry it ${expected - at.value} more time(s): messages that a retry would have saved are parked early`;
  return finding(
    meta,
    source,
    at.node,
    `${said} does not match the consumer of ${c.queue} in ${configFile} (max_retries ${c.maxRetries}, so ${expected} deliveries): ${effect}`,
    `set \`maxAttempts: ${expected}\` here, or set "max_retries": ${at.value - 1} on the consumer of ${c.queue} in ${configFile}`,
    { queue: c.queue, maxAttempts: at.value, max_retries: c.maxRetries },
  );
}

/** consume() decides dead letters by maxAttempts; the platform by max_retries. The two must agree. */
export default defineRule({
  meta,
  checkSource({ code, source }) {
    if (!source.sf.text.includes("blastwall/queues")) return [];
    const names = consumeNames(source.sf);
    const consumers = consumersOf(code);
    if (names.size === 0 || consumers.length === 0) return [];
    const out: Finding[] = [];
    for (const call of nodeIndex(source.sf).calls) {
      if (!names.has(calleeName(call) ?? "") || !ts.isIdentifier(unwrap(call.expression))) continue;
      const options = optionsObject(call.arguments[2], source.sf);
      const at = options && maxAttemptsOf(options);
      if (at === undefined) continue;
      for (const c of consumers) if (at.value !== c.maxRetries + 1) out.push(mismatch(source, at, c, code.configFile));
    }
    return out;
  },
});
