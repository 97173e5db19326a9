import ts from "typescript";
import { unwrap } from "./ast.js";
import type { Fold } from "./fold.js";

const CONSTANT_FLAGS =
  ts.TypeFlags.StringLiteral |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.BooleanLike |
  ts.TypeFlags.EnumLike |
  ts.TypeFlags.Undefined |
  ts.TypeFlags.Null;

/** A type whose every value is code-written text or a number: literals, enums, number, boolean, unions of them. */
function constantType(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every(constantType);
  return (type.flags & CONSTANT_FLAGS) !== 0;
}

function constantElements(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every((t) => constantElements(checker, t));
  if (!checker.isArrayType(type) && !checker.isTupleType(type)) return false;
  const args = checker.getTypeArguments(type as ts.TypeReference);
  return args.length > 0 && args.every(constantType);
}

/**
 * Whether the type checker types a value as constant (asArray: an array of constants), e.g. a parameter property
 * typed `"chat_used" | "image_used"`, an element of `as const` data, an enum member, a `number`. Casts are looked
 * through, so `x as Sort` proves nothing. Only asked when the fold allows it (`typed`), since it costs a Program.
 *
 * @example
 * // function bump(args: { field: Field }) { db.prepare(`UPDATE t SET ${args.field} = ${args.field} + 1`) }
 * typedConstant(fieldAccess, fold, false); // true when Field = "chat_used" | "image_used"
 */
export function typedConstant(expr: ts.Expression, f: Fold, asArray: boolean): boolean {
  if (!f.typed || !f.modules) return false;
  const e = unwrap(expr);
  const checker = f.modules.checker(e.getSourceFile());
  const type = checker.getTypeAtLocation(e);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return false;
  return asArray ? constantElements(checker, type) : constantType(type);
}
