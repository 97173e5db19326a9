import ts from "typescript";
import { calleeName, constantString, initializerOf, lastName, nodeIndex, receiverOf, unwrap } from "../../code/ast.js";
import { type CodeRule, finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";

export const meta: RuleMeta = {
  id: "code/sql-interpolation",
  severity: "error",
  summary: "SQL built by interpolation or concatenation and passed to D1 prepare() or exec().",
};

const SQL_START = /^\s*(select|insert|update|delete|with|replace|create|drop|alter|pragma|upsert)\b/i;

/** A SQL text split into fixed parts and the expressions spliced between them. */
interface Pieces {
  parts: string[];
  values: ts.Expression[];
}

/** Splits a template or `+` chain into text and values; constants fold into the text. */
function pieces(expr: ts.Expression): Pieces | undefined {
  const e = unwrap(expr);
  if (ts.isTemplateExpression(e)) {
    const out: Pieces = { parts: [e.head.text], values: [] };
    for (const span of e.templateSpans) {
      const fixed = constantString(span.expression);
      if (fixed !== undefined) out.parts[out.parts.length - 1] += fixed + span.literal.text;
      else {
        out.values.push(span.expression);
        out.parts.push(span.literal.text);
      }
    }
    return out;
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = pieces(e.left) ?? literalOrValue(e.left);
    const right = pieces(e.right) ?? literalOrValue(e.right);
    const parts = [...left.parts];
    parts[parts.length - 1] += right.parts[0] ?? "";
    return { parts: [...parts, ...right.parts.slice(1)], values: [...left.values, ...right.values] };
  }
  return undefined;
}

function literalOrValue(expr: ts.Expression): Pieces {
  const fixed = constantString(expr);
  return fixed !== undefined ? { parts: [fixed], values: [] } : { parts: ["", ""], values: [expr] };
}

/** The SQL expression a call receives, following one `const sql = …` hop. */
function sqlArgument(arg: ts.Expression): ts.Expression {
  const e = unwrap(arg);
  if (ts.isIdentifier(e)) return initializerOf(e) ?? e;
  return e;
}

/** The bound form: each spliced value becomes `?` (dropping the quotes around it) and moves into bind(). */
function boundVersion(receiver: string, method: string, p: Pieces, sf: ts.SourceFile): string {
  let sql = p.parts[0] ?? "";
  for (let i = 0; i < p.values.length; i++) {
    let next = p.parts[i + 1] ?? "";
    if (/'$/.test(sql) && next.startsWith("'")) {
      sql = sql.slice(0, -1);
      next = next.slice(1);
    }
    sql += `?${next}`;
  }
  const args = p.values.map((v) => v.getText(sf)).join(", ");
  const text = JSON.stringify(sql.replace(/\s+/g, " ").trim());
  if (method === "exec" && receiver.endsWith("sql")) return `${receiver}.exec(${text}, ${args})`;
  return `${receiver}.prepare(${text}).bind(${args})${method === "exec" ? ".run()" : ""}`;
}

/** `prepare()`/`exec()` on a D1 binding (or with SQL text) whose SQL is spliced together from values. */
export const rule: CodeRule = {
  meta,
  checkFile({ code, source }) {
    const out: Finding[] = [];
    for (const node of nodeIndex(source.sf).calls) {
      const method = calleeName(node);
      const first = node.arguments[0];
      if ((method !== "prepare" && method !== "exec") || !first) continue;
      const sql = sqlArgument(first);
      const p = pieces(sql);
      if (!p || p.values.length === 0) continue;
      const recv = receiverOf(node);
      const isD1 = code.bindings.d1.has(lastName(recv) ?? "");
      if (!isD1 && !SQL_START.test(p.parts[0] ?? "")) continue;
      const receiver = recv ? recv.getText(source.sf) : "db";
      const spliced = p.values.map((v) => v.getText(source.sf));
      out.push(
        finding(
          meta,
          source,
          node,
          `SQL passed to ${receiver}.${method}() is built from ${spliced.map((s) => `\`${s}\``).join(", ")} by ${ts.isTemplateExpression(sql) ? "interpolation" : "concatenation"}: a crafted value rewrites the query (injection), and every distinct text is a new statement to plan`,
          `bind the values instead: ${boundVersion(receiver, method, p, source.sf)}`,
          { values: spliced },
        ),
      );
    }
    return out;
  },
};
