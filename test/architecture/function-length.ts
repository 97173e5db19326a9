import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import ts from "typescript";
import { sourceFiles } from "./import-graph.js";

/** One function and its length in lines, from its first line to its last. */
export interface FunctionSize {
  file: string;
  /** Its name: the declaration's, else the variable, property or class member it is assigned to. */
  name: string;
  line: number;
  lines: number;
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isPrivateIdentifier(named.name))) {
    const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : "";
    return `${owner}${named.name.text}`;
  }
  if (ts.isConstructorDeclaration(node) && ts.isClassLike(node.parent))
    return `${node.parent.name?.text ?? ""}.constructor`;
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  ) {
    return ts.isIdentifier(parent.name) ? parent.name.text : parent.name.getText(sf);
  }
  if (parent && ts.isCallExpression(parent)) return `${parent.expression.getText(sf).slice(0, 40)}(…)`;
  return "<anonymous>";
}

/**
 * Every function-like node of a source text (declarations, methods, constructors, accessors, arrows, function
 * expressions) with its length in lines.
 *
 * @example
 * functionSizes("a.ts", "function f() {\n  return 1;\n}"); // [{ file: "a.ts", name: "f", line: 1, lines: 3 }]
 */
export function functionSizes(file: string, text: string): FunctionSize[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: FunctionSize[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file, name: nameOf(node, sf), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The functions of the production sources under `root/src` longer than `max` lines, skipping generated files. */
export function longFunctions(root: string, max: number, generated: readonly string[]): FunctionSize[] {
  const out: FunctionSize[] = [];
  for (const path of sourceFiles(`${root}/src`)) {
    const file = relative(root, path).split(sep).join("/");
    if (generated.includes(file)) continue;
    out.push(...functionSizes(file, readFileSync(path, "utf8")).filter((f) => f.lines > max));
  }
  return out;
}
