import ts from "typescript";
import {
  calleeName,
  constantString,
  findDeclaration,
  memberName,
  nodeIndex,
  receiverOf,
  unwrap,
} from "../../code/ast.js";
import { finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/r2-unquoted-etag",
  severity: "warning",
  summary: "An R2 object's unquoted etag written into an ETag response header; use httpEtag.",
};

const R2_READS = new Set(["get", "head", "put"]);

/**
 * Whether `obj` holds an R2 object: the result of a `get/head/put(…)` method call (`env.BUCKET.get(key)`), a parameter typed
 * `R2Object…`, or an element of a `list()` result's `objects`. Anything else named `etag` (a helper's own field,
 * which may already hold `httpEtag`) is not R2's unquoted etag as far as blastwall can show.
 */
function isR2Object(obj: ts.Expression, depth = 0): boolean {
  const e = unwrap(obj);
  // A method call `x.get(key)`: the bucket may be a binding or come from elsewhere (`c.get("storage").get(key)`).
  if (ts.isCallExpression(e)) return R2_READS.has(calleeName(e) ?? "") && receiverOf(e) !== undefined;
  if (ts.isPropertyAccessExpression(e) && e.name.text === "objects") return true;
  if (ts.isElementAccessExpression(e)) return isR2Object(e.expression, depth);
  if (!ts.isIdentifier(e) || depth > 4) return false;
  const d = findDeclaration(e.text, e);
  if (!d) return false;
  if (ts.isParameter(d)) return !!d.type && /\bR2Object/.test(d.type.getText());
  if (!ts.isVariableDeclaration(d)) return false;
  if (d.type && /\bR2Object/.test(d.type.getText())) return true;
  const loop = d.parent.parent;
  // `for (const o of listed.objects)`: each element of a list result.
  if (ts.isForOfStatement(loop) && loop.initializer === d.parent) return isR2Object(loop.expression, depth + 1);
  return !!d.initializer && isR2Object(d.initializer, depth + 1);
}

function bareEtag(e: ts.Expression | undefined): ts.PropertyAccessExpression | undefined {
  if (!e) return undefined;
  const u = unwrap(e);
  return ts.isPropertyAccessExpression(u) && u.name.text === "etag" && isR2Object(u.expression) ? u : undefined;
}

/** Whether an object literal is a set of headers: `headers: {…}`, `new Headers({…})`. */
function isHeadersObject(obj: ts.ObjectLiteralExpression): boolean {
  const p = obj.parent;
  if (ts.isPropertyAssignment(p) && memberName(p)?.toLowerCase() === "headers") return true;
  return ts.isNewExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === "Headers";
}

/** `headers.set("ETag", obj.etag)`, `c.header("etag", obj.etag)`, `{ headers: { ETag: obj.etag } }`. */
export default defineRule({
  meta,
  checkSource({ source }) {
    const out: Finding[] = [];
    const report = (node: ts.Node, etag: ts.PropertyAccessExpression) => {
      const obj = etag.expression.getText(source.sf);
      out.push(
        finding(
          meta,
          source,
          node,
          `the ETag header gets ${obj}.etag, R2's unquoted etag: HTTP requires a quoted entity tag, so caches and If-None-Match/If-Match comparisons break`,
          `use the quoted form R2 provides: ${obj}.httpEtag`,
          { object: obj },
        ),
      );
    };
    const { calls, properties } = nodeIndex(source.sf);
    for (const n of calls) {
      const name = calleeName(n);
      const [header, value] = n.arguments;
      if ((name === "set" || name === "append" || name === "header") && header) {
        const etag = bareEtag(value);
        if (etag && constantString(header)?.toLowerCase() === "etag") report(n, etag);
      }
    }
    for (const n of properties) {
      if (memberName(n)?.toLowerCase() !== "etag") continue;
      const etag = bareEtag(n.initializer);
      if (etag && ts.isObjectLiteralExpression(n.parent) && isHeadersObject(n.parent)) report(n, etag);
    }
    return out;
  },
});
