import ts from "typescript";
import { calleeName, constantString, initializerOf, lastName, nodeIndex, receiverOf, unwrap } from "../../code/ast.js";
import type { CodeModules } from "../../code/modules.js";
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
/** Generators of fresh random ids: a key holding one is chosen by the server, not the caller. */
const RANDOM_IDS = new Set([
  "randomUUID",
  "nanoid",
  "ulid",
  "uuid",
  "uuidv4",
  "v4",
  "createId",
  "cuid",
  "getRandomValues",
]);

/** The body of a function declared at the top of this file under the callee's name (`function f`, `const f = () =>`). */
function localFunction(callee: ts.Identifier): ts.Node | undefined {
  for (const st of callee.getSourceFile().statements) {
    if (ts.isFunctionDeclaration(st) && st.name?.text === callee.text) return st.body;
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer && unwrap(d.initializer);
      if (ts.isIdentifier(d.name) && d.name.text === callee.text && init && ts.isArrowFunction(init)) return init.body;
    }
  }
  return undefined;
}

/**
 * `Math.random()` or `Date.now()`: a fresh value the server adds (`${Date.now()}-${Math.random().toString(36).slice(2)}`),
 * so the key cannot name an object that already exists.
 */
function isMathRandom(call: ts.CallExpression): boolean {
  const name = calleeName(call);
  const recv = lastName(receiverOf(call));
  return (name === "random" && recv === "Math") || (name === "now" && recv === "Date");
}

/** The text of a key, following `const key = …` hops. */
function keyExpression(expr: ts.Expression, depth = 0): ts.Expression {
  const e = unwrap(expr);
  const init = ts.isIdentifier(e) && depth < 4 ? initializerOf(e) : undefined;
  return init ? keyExpression(init, depth + 1) : e;
}

/**
 * The first value of a key like `${project.id}/pe/${name}` or `users/${user.id}/${file}` when it is neither a
 * constant nor request input and a `/` follows it: a folder the server chose (a row's id, the signed-in user), so
 * the caller picks names inside that folder only, never another tenant's objects.
 */
function serverFolder(key: ts.Expression, modules: CodeModules | undefined): ts.Expression | undefined {
  const e = keyExpression(key);
  if (!ts.isTemplateExpression(e)) return undefined;
  for (const span of e.templateSpans) {
    if (constantString(span.expression) !== undefined) continue;
    const scoped = span.literal.text.startsWith("/") && !requestTainted(span.expression, modules);
    return scoped ? span.expression : undefined;
  }
  return undefined;
}

/**
 * Whether the key holds a fresh random id (`receipts/${crypto.randomUUID()}.${ext}`, directly or through the
 * variables it is built from): the caller picks at most a suffix, never an existing object's key.
 */
function holdsRandomId(expr: ts.Node, depth = 0): boolean {
  if (depth > 4) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && (RANDOM_IDS.has(calleeName(n) ?? "") || isMathRandom(n))) found = true;
    else if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      // `newKey(ext)`: a helper of this file that makes the random id.
      const helper = localFunction(n.expression);
      found = (!!helper && holdsRandomId(helper, depth + 1)) || n.arguments.some((a) => holdsRandomId(a, depth + 1));
    } else if (ts.isIdentifier(n)) {
      const init = initializerOf(n);
      if (init && init !== expr) found = holdsRandomId(init, depth + 1);
    } else ts.forEachChild(n, visit);
  };
  visit(expr);
  return found;
}

/** An R2 object key built from the URL, params or body, with no validator on the way. */
export default defineRule({
  meta,
  checkSource({ code, source, modules }) {
    if (code.bindings.r2.size === 0) return [];
    const out: Finding[] = [];
    for (const node of nodeIndex(source.sf).calls) {
      const method = calleeName(node) ?? "";
      const bucket = lastName(receiverOf(node)) ?? "";
      const key = node.arguments[0];
      if (!R2_METHODS.has(method) || !code.bindings.r2.has(bucket) || !key) continue;
      if (!requestTainted(key, modules) || holdsRandomId(key)) continue;
      const keyText = key.getText(source.sf);
      const folder = serverFolder(key, modules);
      if (folder) {
        out.push({
          ...finding(
            meta,
            source,
            node,
            `${bucket}.${method}() uses the key ${keyText}, whose names come from the request but sit under ${folder.getText(source.sf)}/, a folder the server chose: a caller reaches only objects in that folder (blastwall cannot tell whether another caller shares it)`,
            `if callers who share the folder must not replace each other's objects, add a fresh id to the name: ${bucket}.${method}(\`\${${folder.getText(source.sf)}}/\${crypto.randomUUID()}\`)`,
            { bucket, method, key: keyText },
          ),
          severity: "info",
        });
        continue;
      }
      // A read exposes only what the bucket holds, which is by design for public assets; blastwall cannot tell a
      // public bucket from a private one, so reads are info and writes/deletes (overwrite anyone's object) warn.
      const read = method === "get" || method === "head";
      const f = finding(
        meta,
        source,
        node,
        read
          ? `${bucket}.${method}() reads the key ${keyText}, which comes from the request unvalidated: a caller can read any object in the bucket (another user's or tenant's files), which is only safe if everything in it is public`
          : `${bucket}.${method}() uses the key ${keyText}, which comes from the request unvalidated: a caller can overwrite or delete any object in the bucket (another user's or tenant's files)`,
        `check the key before using it, e.g. \`if (!/^[\\w-]{1,64}$/.test(id)) return new Response("bad key", { status: 400 });\` and build the key from the checked part: ${bucket}.${method}(\`prefix/\${id}\`)`,
        { bucket, method, key: keyText },
      );
      out.push(read ? { ...f, severity: "info" } : f);
    }
    return out;
  },
});
