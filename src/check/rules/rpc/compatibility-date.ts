import ts from "typescript";
import { calleeName, initializerOf, lastName, nodeIndex, receiverOf, unwrap, walk } from "../../code/ast.js";
import type { SourceFileInfo, WorkerCode } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "rpc/compatibility-date",
  severity: "error",
  summary: "Worker or Durable Object RPC in use with a compatibility_date before 2024-04-03 and no rpc flag.",
};

/** From this compatibility date, JavaScript-native RPC is on by default. */
export const RPC_DATE = "2024-04-03";

const NOT_RPC = new Set([
  "fetch",
  "connect",
  "get",
  "getByName",
  "idFromName",
  "idFromString",
  "newUniqueId",
  "jurisdiction",
  "send",
  "sendBatch",
]);
const STUB_FACTORIES = new Set(["get", "getByName"]);

/** Classes that extend DurableObject or WorkerEntrypoint imported from "cloudflare:workers". */
export function rpcClasses(sf: ts.SourceFile): string[] {
  const bases = new Set<string>();
  for (const st of sf.statements) {
    if (
      !ts.isImportDeclaration(st) ||
      !ts.isStringLiteral(st.moduleSpecifier) ||
      st.moduleSpecifier.text !== "cloudflare:workers"
    )
      continue;
    const b = st.importClause?.namedBindings;
    if (!b || !ts.isNamedImports(b)) continue;
    for (const el of b.elements) {
      const imported = (el.propertyName ?? el.name).text;
      if (imported === "DurableObject" || imported === "WorkerEntrypoint") bases.add(el.name.text);
    }
  }
  if (bases.size === 0) return [];
  const out: string[] = [];
  walk(sf, (n) => {
    if (!ts.isClassLike(n)) return undefined;
    const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    if (ext && ts.isIdentifier(ext) && bases.has(ext.text)) out.push(n.name?.text ?? "(anonymous)");
    return undefined;
  });
  return out;
}

/** Whether an expression is a Durable Object stub (`NS.get(id)`, `NS.getByName(n)`) of a bound namespace. */
function isStub(e: ts.Expression, code: WorkerCode, depth = 0): boolean {
  const u = unwrap(e);
  if (ts.isCallExpression(u)) {
    return STUB_FACTORIES.has(calleeName(u) ?? "") && code.bindings.durableObjects.has(lastName(receiverOf(u)) ?? "");
  }
  if (ts.isIdentifier(u) && depth < 3) {
    const init = initializerOf(u);
    return init !== undefined && isStub(init, code, depth + 1);
  }
  return false;
}

/** RPC method calls in a file: `stub.method()` on a DO stub, `env.SERVICE.method()` on a service binding. */
export function rpcCalls(code: WorkerCode, src: SourceFileInfo): { method: string; node: ts.CallExpression }[] {
  const out: { method: string; node: ts.CallExpression }[] = [];
  if (code.bindings.durableObjects.size === 0 && code.bindings.services.size === 0) return out;
  for (const n of nodeIndex(src.sf).calls) {
    const method = calleeName(n);
    const recv = receiverOf(n);
    if (!method || !recv || NOT_RPC.has(method)) continue;
    if (isStub(recv, code) || code.bindings.services.has(lastName(recv) ?? "")) out.push({ method, node: n });
  }
  return out;
}

/** A Worker that calls RPC methods, where the project defines RPC classes, must run with RPC enabled. */
export default defineRule({
  meta,
  checkProject({ workers }) {
    const classes = workers.flatMap((w) => w.files.flatMap((f) => rpcClasses(f.sf)));
    if (classes.length === 0) return [];
    const out: Finding[] = [];
    for (const code of workers) {
      const calls = code.files.flatMap((f) => rpcCalls(code, f).map((c) => ({ ...c, file: f.file })));
      const first = calls[0];
      if (!first) continue;
      const reported = new Set<string>();
      for (const s of code.sections) {
        const date = s.compatibilityDate;
        if ((date !== undefined && date >= RPC_DATE) || s.compatibilityFlags.includes("rpc")) continue;
        const key = JSON.stringify(s.compatibilityAt);
        if (reported.has(key)) continue;
        reported.add(key);
        const loc = code.worker.locate(s.compatibilityAt);
        const where = s.env === undefined ? "" : ` (env.${s.env})`;
        out.push({
          rule: meta.id,
          severity: meta.severity,
          file: code.configFile,
          line: loc?.line ?? 1,
          ...(loc ? { column: loc.column } : {}),
          message: `${code.worker.name ?? "this Worker"}${where} calls RPC methods (${[...new Set(calls.map((c) => c.method))].slice(0, 3).join(", ")}() at ${first.file}:${first.node.getSourceFile().getLineAndCharacterOfPosition(first.node.getStart()).line + 1}) on ${classes.slice(0, 3).join(", ")}, but compatibility_date ${date ?? "is unset"}${date ? ` is before ${RPC_DATE}` : ""} and the rpc flag is off: the calls throw at run time`,
          fix: `set compatibility_date to ${RPC_DATE} or later (test the other changes it brings), or add "rpc" to compatibility_flags`,
          data: { compatibility_date: date ?? null, methods: [...new Set(calls.map((c) => c.method))] },
        });
      }
    }
    return out;
  },
});
