import ts from "typescript";
import { walk } from "./ast.js";
import { constantParameter } from "./call-sites.js";
import { resolveName } from "./declarations.js";
import type { Fold } from "./fold.js";

const SHIELDED = new Set([ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword, ts.SyntaxKind.ReadonlyKeyword]);

/** Only the class itself can write the field: `private`, `protected`, `readonly` or `#name`. */
function shielded(member: ts.PropertyDeclaration | ts.ParameterDeclaration): boolean {
  if (ts.isPrivateIdentifier(member.name)) return true;
  return (ts.getModifiers(member) ?? []).some((m) => SHIELDED.has(m.kind));
}

/** The class `this` means at a node: the nearest class, unless a `function` (its own `this`) comes first. */
function thisClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isClassLike(n)) return n;
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) return undefined;
  }
  return undefined;
}

/** Every value assigned (`=`, also `+=`) in `scope` to a field `holds` matches: `this.cols = v`, `Repo.COLS = v`. */
function assignments(scope: ts.Node, holds: (e: ts.Expression) => boolean): ts.Expression[] {
  const out: ts.Expression[] = [];
  walk(scope, (n) => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      holds(n.left)
    )
      out.push(n.right);
    return undefined;
  });
  return out;
}

const GROWERS = new Set(["push", "unshift", "splice", "fill", "copyWithin", "set", "add"]);

/** Whether the list or map a field holds is changed in place in `scope`: `this.cols.push(x)`, `Repo.COLS[0] = x`. */
function grownIn(scope: ts.Node, holds: (e: ts.Expression) => boolean): boolean {
  let hit = false;
  walk(scope, (n) => {
    if (hit) return false;
    const target =
      ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && GROWERS.has(n.expression.name.text)
        ? n.expression.expression
        : ts.isBinaryExpression(n) &&
            n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
            n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
            ts.isElementAccessExpression(n.left)
          ? n.left.expression
          : undefined;
    if (target && holds(target)) hit = true;
    return undefined;
  });
  return hit;
}

/** `this.name` (or, with `owner`, `Owner.name`). */
const fieldAccess = (name: string, owner?: string) => (e: ts.Expression) =>
  ts.isPropertyAccessExpression(e) &&
  e.name.text === name &&
  (owner === undefined
    ? e.expression.kind === ts.SyntaxKind.ThisKeyword
    : ts.isIdentifier(e.expression) && e.expression.text === owner);

/**
 * Whether `this.name` always holds a constant: a field only the class can write (`private`, `readonly`, `#`),
 * whose initializer, every `this.name = …` and, for a constructor parameter property, every `new C(…)` argument
 * is constant.
 *
 * @example
 * // class Repo { constructor(private db: D1Database, private table: "users" | "teams") {} … `${this.table}` }
 * constantClassField(thisTable, fold, constantText); // true when every `new Repo(db, "users")` passes a constant
 */
export function constantClassField(
  e: ts.PropertyAccessExpression,
  f: Fold,
  constant: (x: ts.Expression, f: Fold) => boolean,
): boolean {
  const cls = e.expression.kind === ts.SyntaxKind.ThisKeyword ? thisClass(e) : undefined;
  if (!cls) return false;
  const name = e.name.text;
  let declared = false;
  const writes = assignments(cls, fieldAccess(name));
  for (const m of cls.members) {
    if (ts.isPropertyDeclaration(m) && m.name.getText() === name) {
      if (!shielded(m)) return false;
      declared = true;
      if (m.initializer) writes.push(m.initializer);
    }
    if (!ts.isConstructorDeclaration(m)) continue;
    for (const p of m.parameters) {
      if (!ts.isParameterPropertyDeclaration(p, m) || p.name.getText() !== name) continue;
      if (!shielded(p) || !constantParameter(p, f, { undefinedIsConstant: false }, constant)) return false;
      declared = true;
    }
  }
  return declared && !grownIn(cls, fieldAccess(name)) && writes.every((w) => constant(w, f));
}

/** Whether a class in the file extends `cls` by name: a subclass may override its methods. */
function extendedInFile(cls: ts.ClassLikeDeclaration): boolean {
  const name = cls.name?.text;
  let hit = false;
  walk(cls.getSourceFile(), (n) => {
    if (hit) return false;
    if (ts.isHeritageClause(n) && n.token === ts.SyntaxKind.ExtendsKeyword)
      hit = n.types.some((t) => ts.isIdentifier(t.expression) && t.expression.text === name);
    return undefined;
  });
  return hit;
}

/**
 * The method `this.name(…)` calls, when no subclass can replace it: `private` or `#name`, or a class that is not
 * exported and that nothing in its file extends. Undefined when the name is not one method of the class.
 *
 * @example
 * // class Repo { private placeholders(n: number) { … } byIds(ids) { … this.placeholders(ids.length) … } }
 * ownMethod(thisPlaceholders); // the `placeholders` declaration
 */
export function ownMethod(e: ts.PropertyAccessExpression): ts.MethodDeclaration | undefined {
  const cls = e.expression.kind === ts.SyntaxKind.ThisKeyword ? thisClass(e) : undefined;
  if (!cls) return undefined;
  const named = cls.members.filter((m) => m.name?.getText() === e.name.getText());
  const [m] = named;
  if (named.length !== 1 || !m || !ts.isMethodDeclaration(m) || !m.body) return undefined;
  const priv =
    ts.isPrivateIdentifier(m.name) || (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.PrivateKeyword);
  const exported = (ts.getModifiers(cls) ?? []).some((x) => x.kind === ts.SyntaxKind.ExportKeyword);
  return priv || (!exported && !extendedInFile(cls)) ? m : undefined;
}

/**
 * Whether `Class.NAME` always holds a constant: a static field whose initializer is constant and which is
 * `readonly`, or whose every write (`Class.NAME = v`, `this.NAME = v` in the class), in its file and the files
 * that import it, is constant too.
 *
 * @example
 * // class UserRepo { static TABLE = "users"; … `FROM ${UserRepo.TABLE}` }
 * constantStaticField(userRepoTable, fold, constantText); // true
 */
export function constantStaticField(
  e: ts.PropertyAccessExpression,
  f: Fold,
  constant: (x: ts.Expression, f: Fold) => boolean,
): boolean {
  const owner = e.expression;
  const cls = ts.isIdentifier(owner) ? resolveName(owner, f.modules) : undefined;
  if (!cls || !ts.isClassDeclaration(cls) || !cls.name) return false;
  const name = e.name.text;
  const field = cls.members.find(
    (m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && m.name.getText() === name,
  );
  const mods = field ? (ts.getModifiers(field) ?? []) : [];
  if (!field?.initializer || !mods.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return false;
  if (!constant(field.initializer, f)) return false;
  const className = cls.name.text;
  const own = cls.getSourceFile();
  const files = [own, ...(f.modules?.importers(own.fileName) ?? [])];
  if (files.some((sf) => grownIn(sf, fieldAccess(name, className))) || grownIn(cls, fieldAccess(name))) return false;
  if (mods.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword)) return true;
  const writes = [
    ...assignments(cls, fieldAccess(name)),
    ...files.flatMap((sf) => assignments(sf, fieldAccess(name, className))),
  ];
  return writes.every((w) => constant(w, f));
}
