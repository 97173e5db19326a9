import ts from "typescript";
import { memberName, unwrap } from "../../code/ast.js";

/** The object or class a module default-exports, following `export default app` to its declaration. */
export function defaultExport(sf: ts.SourceFile): ts.ObjectLiteralExpression | ts.ClassLikeDeclaration | undefined {
  for (const st of sf.statements) {
    if (ts.isExportAssignment(st) && !st.isExportEquals) {
      let e = unwrap(st.expression);
      if (ts.isIdentifier(e)) {
        const name = e.text;
        for (const s of sf.statements) {
          if (ts.isClassDeclaration(s) && s.name?.text === name) return s;
          if (ts.isVariableStatement(s)) {
            for (const d of s.declarationList.declarations) {
              if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) e = unwrap(d.initializer);
            }
          }
        }
      }
      if (ts.isObjectLiteralExpression(e) || ts.isClassExpression(e)) return e;
      return undefined;
    }
    if (ts.isClassDeclaration(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) {
      return st;
    }
  }
  return undefined;
}

/** The members of a default-exported handler object or entrypoint class, by name. */
export function handlerMembers(target: ts.ObjectLiteralExpression | ts.ClassLikeDeclaration): Map<string, ts.Node> {
  const out = new Map<string, ts.Node>();
  const members: readonly ts.Node[] = ts.isObjectLiteralExpression(target) ? target.properties : target.members;
  for (const m of members) {
    const name = memberName(m);
    if (name && !out.has(name)) out.set(name, m);
  }
  return out;
}
