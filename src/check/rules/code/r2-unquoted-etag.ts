import ts from "typescript";
import { calleeName, constantString, memberName, nodeIndex, unwrap } from "../../code/ast.js";
import { finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/r2-unquoted-etag",
  severity: "warning",
  summary: "An R2 object's unquoted etag written into an ETag response header; use httpEtag.",
};

function bareEtag(e: ts.Expression | undefined): ts.PropertyAccessExpression | undefined {
  if (!e) return undefined;
  const u = unwrap(e);
  return ts.isPropertyAccessExpression(u) && u.name.text === "etag" ? u : undefined;
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
