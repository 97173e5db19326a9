import ts from "typescript";
import { calleeName, enclosingScope, receiverOf, unwrap } from "./ast.js";
import { resolveName } from "./declarations.js";
import type { CodeModules } from "./modules.js";

/**
 * Keys of what a zod object schema parses. `z.object({ … })` strips every key it does not list (and `.strict()`
 * rejects them), so the parsed object's keys are the ones the code wrote, whatever the request sent. A schema that
 * lets other keys through (`.passthrough()`, `.catchall()`, `z.record`) or rewrites the output (`.transform()`,
 * `.pipe()`) is not one.
 */

/** Methods whose schema parses to the keys of the schema they are called on (or fewer). */
const KEEPS_KEYS = new Set([
  "refine",
  "superRefine",
  "strict",
  "strip",
  "partial",
  "deepPartial",
  "required",
  "pick",
  "omit",
  "describe",
  "optional",
  "nullable",
  "nullish",
  "default",
  "catch",
  "brand",
  "readonly",
]);
const OBJECT_MAKERS = new Set(["object", "strictObject"]);
const MAX_HOPS = 8;

/** An object literal whose keys are all written out (no spread, no computed name). */
function literalKeys(o: ts.Expression): boolean {
  return (
    ts.isObjectLiteralExpression(o) &&
    o.properties.every(
      (p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && !ts.isComputedPropertyName(p.name),
    )
  );
}

/** The initializer of the `const` a name refers to. */
function constValue(id: ts.Identifier, modules: CodeModules | undefined): ts.Expression | undefined {
  const d = resolveName(id, modules);
  const fixed = d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const;
  return fixed ? d.initializer : undefined;
}

/** `z.object({ a, b })` (or `object({ … })` imported from zod), then only methods that keep its keys. */
function fixedKeySchema(expr: ts.Expression, modules: CodeModules | undefined, hops: number): boolean {
  const e = unwrap(expr);
  if (hops > MAX_HOPS) return false;
  if (ts.isIdentifier(e)) {
    const held = constValue(e, modules);
    return !!held && fixedKeySchema(held, modules, hops + 1);
  }
  if (!ts.isCallExpression(e)) return false;
  const name = calleeName(e) ?? "";
  const recv = receiverOf(e);
  const [first] = e.arguments;
  if (OBJECT_MAKERS.has(name)) return !!first && literalKeys(unwrap(first));
  if (!recv) return false;
  if (KEEPS_KEYS.has(name)) return fixedKeySchema(recv, modules, hops + 1);
  if (name === "extend") return !!first && literalKeys(unwrap(first)) && fixedKeySchema(recv, modules, hops + 1);
  if (name === "merge")
    return !!first && fixedKeySchema(first, modules, hops + 1) && fixedKeySchema(recv, modules, hops + 1);
  return false;
}

/** `zValidator("json", Schema)` among the middlewares of the route whose handler holds `valid`. */
function routeSchema(valid: ts.CallExpression): ts.Expression | undefined {
  const target = valid.arguments[0] && unwrap(valid.arguments[0]);
  if (!target || !ts.isStringLiteralLike(target)) return undefined;
  const handler = enclosingScope(valid);
  const route = handler.parent;
  if (!route || !ts.isCallExpression(route)) return undefined;
  for (const a of route.arguments) {
    const m = unwrap(a);
    if (!ts.isCallExpression(m) || !/validator$/i.test(calleeName(m) ?? "")) continue;
    const [where, schema] = m.arguments;
    if (
      where &&
      schema &&
      ts.isStringLiteralLike(unwrap(where)) &&
      (unwrap(where) as ts.StringLiteral).text === target.text
    )
      return schema;
  }
  return undefined;
}

/**
 * Whether an expression is the output of a fixed-key zod object schema: `S.parse(x)`, `S.safeParse(x).data`,
 * a variable holding one, or Hono's `c.req.valid("json")` behind `zValidator("json", S)`.
 *
 * @example
 * // const parsed = UpdateSchema.safeParse(body); for (const [k] of Object.entries(parsed.data)) sets.push(`${k} = ?`)
 * zodParsed(parsedDotData, modules); // true when UpdateSchema = z.object({ title: …, status: … })
 */
export function zodParsed(expr: ts.Expression, modules: CodeModules | undefined, hops = 0): boolean {
  const e = unwrap(expr);
  if (hops > MAX_HOPS) return false;
  if (ts.isCallExpression(e)) {
    const name = calleeName(e) ?? "";
    const recv = receiverOf(e);
    if ((name === "parse" || name === "parseAsync") && recv) return fixedKeySchema(recv, modules, 0);
    const schema = name === "valid" ? routeSchema(e) : undefined;
    return !!schema && fixedKeySchema(schema, modules, 0);
  }
  if (ts.isPropertyAccessExpression(e) && e.name.text === "data") return safeParsed(e.expression, modules, hops + 1);
  if (!ts.isIdentifier(e)) return false;
  const held = constValue(e, modules);
  if (held) return zodParsed(held, modules, hops + 1);
  const d = resolveName(e, modules);
  // `const { data } = S.safeParse(x)`
  const holder = d && ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) ? d.parent.parent : undefined;
  const key = d && ts.isBindingElement(d) ? (d.propertyName ?? d.name).getText() : "";
  return holder && ts.isVariableDeclaration(holder) && holder.initializer && key === "data"
    ? safeParsed(holder.initializer, modules, hops + 1)
    : false;
}

/** `S.safeParse(x)` (or a `const` holding it) for a fixed-key schema `S`. */
function safeParsed(expr: ts.Expression, modules: CodeModules | undefined, hops: number): boolean {
  const e = unwrap(expr);
  if (hops > MAX_HOPS) return false;
  if (ts.isIdentifier(e)) {
    const held = constValue(e, modules);
    return !!held && safeParsed(held, modules, hops + 1);
  }
  const name = ts.isCallExpression(e) ? calleeName(e) : undefined;
  const recv = ts.isCallExpression(e) ? receiverOf(e) : undefined;
  return (name === "safeParse" || name === "safeParseAsync") && !!recv && fixedKeySchema(recv, modules, 0);
}
