import type ts from "typescript";
import { calleeName, enclosingScope, exclusiveBranches, lastName, nodeIndex, receiverOf } from "../../code/ast.js";
import { finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/kv-read-after-write",
  severity: "warning",
  summary: "A KV get of a key just put, expecting the new value (KV is eventually consistent).",
};

/**
 * Within one function: `NS.put(k, …)` then `NS.get(k)` on the same namespace and key, on one path (not the two arms
 * of an if/else).
 */
export default defineRule({
  meta,
  checkSource({ code, source }) {
    if (code.bindings.kv.size === 0) return [];
    const out: Finding[] = [];
    const sf = source.sf;
    // Puts seen so far, per innermost function: a read in the same function after a put of the same key.
    const puts = new Map<ts.Node, Map<string, ts.CallExpression[]>>();
    for (const n of nodeIndex(sf).calls) {
      const method = calleeName(n);
      const recv = receiverOf(n);
      const key = n.arguments[0];
      if (!recv || !key || !code.bindings.kv.has(lastName(recv) ?? "")) continue;
      const scope = enclosingScope(n);
      const id = `${recv.getText(sf)}\u0000${key.getText(sf)}`;
      let seen = puts.get(scope);
      if (method === "put") {
        if (!seen) {
          seen = new Map();
          puts.set(scope, seen);
        }
        seen.set(id, [...(seen.get(id) ?? []), n]);
      } else if (
        (method === "get" || method === "getWithMetadata") &&
        (seen?.get(id) ?? []).some((put) => !exclusiveBranches(put, n))
      ) {
        const ns = recv.getText(sf);
        const k = key.getText(sf);
        out.push(
          finding(
            meta,
            source,
            n,
            `${ns}.${method}(${k}) reads the key this function just wrote with ${ns}.put(${k}, …): KV is eventually consistent, so another location can see the old value for 60 s or more, and a check on it passes or fails by luck`,
            `use the value you just wrote instead of reading it back; if readers elsewhere must see it at once, keep it in a Durable Object or D1 instead of ${ns}`,
            { namespace: lastName(recv), key: k },
          ),
        );
      }
    }
    return out;
  },
});
