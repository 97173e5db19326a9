import { calleeName, lastName, nodeIndex, receiverOf } from "../../code/ast.js";
import { finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { requestTainted } from "./request-taint.js";

export const meta: RuleMeta = {
  id: "code/unvalidated-r2-key",
  severity: "warning",
  summary: "An R2 get/put/delete key taken from the request without validation.",
};

const R2_METHODS = new Set(["get", "put", "delete", "head"]);

/** An R2 object key built from the URL, params or body, with no validator on the way. */
export default defineRule({
  meta,
  checkSource({ code, source }) {
    if (code.bindings.r2.size === 0) return [];
    const out: Finding[] = [];
    for (const node of nodeIndex(source.sf).calls) {
      const method = calleeName(node) ?? "";
      const bucket = lastName(receiverOf(node)) ?? "";
      const key = node.arguments[0];
      if (!R2_METHODS.has(method) || !code.bindings.r2.has(bucket) || !key) continue;
      if (!requestTainted(key)) continue;
      const keyText = key.getText(source.sf);
      out.push(
        finding(
          meta,
          source,
          node,
          `${bucket}.${method}() uses the key ${keyText}, which comes from the request unvalidated: a caller can read, overwrite or delete any object in the bucket (e.g. "../", another tenant's prefix)`,
          `check the key before using it, e.g. \`if (!/^[\\w-]{1,64}$/.test(id)) return new Response("bad key", { status: 400 });\` and build the key from the checked part: ${bucket}.${method}(\`prefix/\${id}\`)`,
          { bucket, method, key: keyText },
        ),
      );
    }
    return out;
  },
});
