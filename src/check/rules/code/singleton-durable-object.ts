import ts from "typescript";
import { calleeName, constantString, lastName, nodeIndex, receiverOf, unwrap } from "../../code/ast.js";
import { finding, type WorkerBindings } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/singleton-durable-object",
  severity: "warning",
  summary: "idFromName() with a constant name sends all traffic to one Durable Object.",
};

/** The fixed name an expression always yields: a literal, a const, or an `env` var set in the config. */
function fixedName(arg: ts.Expression, bindings: WorkerBindings): string | undefined {
  const lit = constantString(arg);
  if (lit !== undefined) return lit;
  const e = unwrap(arg);
  if (ts.isPropertyAccessExpression(e) && /env$/i.test(lastName(e.expression) ?? "")) {
    return bindings.vars.get(e.name.text);
  }
  return undefined;
}

/** `NS.idFromName("global")` / `NS.getByName("global")`: one object takes every request. */
export default defineRule({
  meta,
  checkSource({ code, source }) {
    const out: Finding[] = [];
    for (const node of nodeIndex(source.sf).calls) {
      const method = calleeName(node);
      if (method !== "idFromName" && method !== "getByName") continue;
      const recv = receiverOf(node);
      const ns = lastName(recv) ?? "";
      if (method === "getByName" && !code.bindings.durableObjects.has(ns)) continue;
      const arg = node.arguments[0];
      const name = arg && fixedName(arg, code.bindings);
      if (name === undefined || !recv) continue;
      const recvText = recv.getText(source.sf);
      out.push(
        finding(
          meta,
          source,
          node,
          `${recvText}.${method}(${JSON.stringify(name)}) always addresses the same Durable Object: every request queues on one single-threaded object, which answers 503 (overloaded) under load`,
          `address an object per entity (user, room, tenant), or shard a shared one: ${recvText}.${method}(\`${name}:\${hash(key) % 16}\`)`,
          { namespace: ns, name },
        ),
      );
    }
    return out;
  },
});
