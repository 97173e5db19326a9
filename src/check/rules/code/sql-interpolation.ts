import ts from "typescript";
import { calleeName, constantString, initializerOf, lastName, nodeIndex, receiverOf, unwrap } from "../../code/ast.js";
import { startFold } from "../../code/fold.js";
import type { CodeModules } from "../../code/modules.js";
import { finding } from "../../code/rule.js";
import { constantText } from "../../code/sql-constant.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { requestTainted } from "./request-taint.js";

export const meta: RuleMeta = {
  id: "code/sql-interpolation",
  severity: "error",
  summary:
    "SQL built by interpolation or concatenation from values that are not constant, passed to D1 prepare() or exec(); an error for request input, info when the value cannot be traced.",
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

/** Where a spliced value sits: a value can be bound with `?`; a name or keyword cannot. */
function position(before: string): "value" | "name" {
  const t = before.replace(/\s+/g, " ").trimEnd().toLowerCase();
  if (/'$/.test(t)) return "value";
  if (/(=|<>|!=|<|>|\blike|\bin \(|\bvalues \(|\blimit|\boffset|\bthen|\belse|\bwhen|\bis|\bbetween|\band)$/.test(t))
    return "value";
  if (/,$/.test(t) && /\bvalues \([^)]*$/.test(t)) return "value";
  return "name";
}

/** The statement with every value bound: valid SQL only when no spliced value is a name. */
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

/** A constant that is not one literal, written for the `sql` tag: literal branches as fragments, names as ids. */
function constantHole(v: ts.Expression, name: boolean, sf: ts.SourceFile): string {
  const e = unwrap(v);
  const fragment = (x: ts.Expression) =>
    ts.isStringLiteralLike(unwrap(x)) ? `sql\`${(unwrap(x) as ts.StringLiteral).text}\`` : undefined;
  if (ts.isConditionalExpression(e)) {
    const [yes, no] = [fragment(e.whenTrue), fragment(e.whenFalse)];
    if (yes && no) return `${e.condition.getText(sf)} ? ${yes} : ${no}`;
  }
  const joined = ts.isCallExpression(e) && calleeName(e) === "join" ? receiverOf(e)?.getText(sf) : undefined;
  if (name && joined) return `sql.join(${joined}.map((c) => sql\`\${sql.id(c)}\`))`;
  return name ? `sql.id(${v.getText(sf)})` : v.getText(sf);
}

/**
 * The statement through blastwall/d1's `sql` tag: values bound, names through `sql.id()`, lists through
 * `sql.list()`, constants that are not one literal as fragments or ids.
 */
function taggedVersion(
  receiver: string,
  p: Pieces,
  names: ReadonlySet<number>,
  open: ReadonlySet<ts.Expression>,
  sf: ts.SourceFile,
): string {
  let text = p.parts[0] ?? "";
  p.values.forEach((v, i) => {
    let next = p.parts[i + 1] ?? "";
    const src = v.getText(sf);
    const e = unwrap(v);
    const joined = ts.isCallExpression(e) && calleeName(e) === "join" ? receiverOf(e)?.getText(sf) : undefined;
    const name = names.has(i) || (!open.has(v) && position(p.parts.slice(0, i + 1).join("?")) === "name");
    if (!name && /'$/.test(text) && next.startsWith("'")) {
      text = text.slice(0, -1);
      next = next.slice(1);
    }
    const hole = !open.has(v)
      ? constantHole(v, name, sf)
      : name
        ? `sql.id(${src})`
        : joined
          ? `sql.list(${joined})`
          : src;
    text += `\${${hole}}${next}`;
  });
  return `sql\`${text.replace(/\s+/g, " ").trim()}\`.prepare(${receiver})`;
}

function fixFor(
  receiver: string,
  method: string,
  p: Pieces,
  open: ReadonlySet<ts.Expression>,
  sf: ts.SourceFile,
): string {
  // Only the values that did not fold are named: a constant in a name position needs no check.
  const names = new Set(
    p.values.flatMap((v, i) => (open.has(v) && position(p.parts.slice(0, i + 1).join("?")) === "name" ? [i] : [])),
  );
  if (names.size === 0) return `bind the values instead: ${boundVersion(receiver, method, p, sf)}`;
  const listed = [...names].map((i) => `\`${p.values[i]?.getText(sf) ?? ""}\``).join(", ");
  return `${listed} ${names.size === 1 ? "sits" : "sit"} where a table or column name (or keyword) goes, which bind() cannot fill: check ${names.size === 1 ? "it" : "each"} against a fixed list first (\`const ALLOWED = ["created_at", "name"] as const; if (!ALLOWED.includes(x)) throw …\`), or build the statement with the \`sql\` tag from blastwall/d1, which binds values and quotes checked names: ${taggedVersion(receiver, p, names, open, sf)}`;
}

/** The `prepare` / `exec` name of the call, so the finding points at the `.prepare(` line of a chain. */
function methodNode(call: ts.CallExpression): ts.Node {
  const c = unwrap(call.expression);
  return ts.isPropertyAccessExpression(c) ? c.name : call;
}

/**
 * The spliced values that are not constant. The syntax (across the project's modules) goes first; request input
 * is settled without types; only what is left asks the type checker, which costs a Program for the file.
 */
function openValues(
  values: ts.Expression[],
  modules: CodeModules | undefined,
  vars: ReadonlySet<string>,
): { open: ts.Expression[]; tainted: ts.Expression[] } {
  const fold = (typed: boolean) => startFold(modules ? { modules, typed, vars } : { vars });
  const unfolded = values.filter((v) => !constantText(v, fold(false)));
  const tainted = unfolded.filter((v) => requestTainted(v, modules));
  const open = unfolded.filter((v) => tainted.includes(v) || !constantText(v, fold(true)));
  return { open, tainted };
}

/**
 * `prepare()`/`exec()` on a D1 binding (or with SQL text) whose SQL is spliced together from values that are not
 * constant. Splices the code wrote itself (placeholder lists, fixed column lists, literal unions, allow-listed
 * names) are folded away. Request input is an error; a value that cannot be traced either way is info.
 */
export default defineRule({
  meta,
  checkSource({ code, source, modules }) {
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
      const { open, tainted } = openValues(p.values, modules, new Set(code.bindings.vars.keys()));
      if (open.length === 0) continue;
      const receiver = recv ? recv.getText(source.sf) : "db";
      const spliced = open.map((v) => v.getText(source.sf));
      const how = ts.isTemplateExpression(sql) ? "interpolation" : "concatenation";
      const f = finding(
        meta,
        source,
        methodNode(node),
        tainted.length > 0
          ? `SQL passed to ${receiver}.${method}() splices request input ${tainted.map((v) => `\`${v.getText(source.sf)}\``).join(", ")} by ${how}: a crafted value rewrites the query (injection)`
          : `SQL passed to ${receiver}.${method}() is built from ${spliced.map((s) => `\`${s}\``).join(", ")} by ${how}, which blastwall cannot trace to a constant: if any of it comes from a request, a crafted value rewrites the query, and every distinct text is a new statement to plan`,
        fixFor(receiver, method, p, new Set(open), source.sf),
        { values: spliced, requestInput: tainted.length > 0 },
      );
      // Untraced values were a false alarm 21 times in 24 over 191 public apps (library-supplied model names,
      // helper-built WHERE clauses): they are listed, not counted against the build.
      out.push(tainted.length > 0 ? f : { ...f, severity: "info" });
    }
    return out;
  },
});
