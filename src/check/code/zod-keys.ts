import ts from "typescript";
import { calleeName, enclosingScope, findDeclaration, receiverOf, unwrap } from "./ast.js";
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
 * The zod schema whose output an expression is: `S.parse(x)`, `S.safeParse(x).data`, a variable holding one, or
 * Hono's `c.req.valid("json")` behind `zValidator("json", S)`.
 */
function parsedBy(expr: ts.Expression, modules: CodeModules | undefined, hops = 0): ts.Expression | undefined {
  const e = unwrap(expr);
  if (hops > MAX_HOPS) return undefined;
  if (ts.isCallExpression(e)) {
    const name = calleeName(e) ?? "";
    const recv = receiverOf(e);
    if ((name === "parse" || name === "parseAsync") && recv) return recv;
    return name === "valid" ? routeSchema(e) : undefined;
  }
  if (ts.isPropertyAccessExpression(e) && e.name.text === "data") return safeParsed(e.expression, modules, hops + 1);
  if (!ts.isIdentifier(e)) return undefined;
  const held = constValue(e, modules);
  if (held) return parsedBy(held, modules, hops + 1);
  const d = resolveName(e, modules);
  // `const { data } = S.safeParse(x)`
  const holder = d && ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) ? d.parent.parent : undefined;
  const key = d && ts.isBindingElement(d) ? (d.propertyName ?? d.name).getText() : "";
  return holder && ts.isVariableDeclaration(holder) && holder.initializer && key === "data"
    ? safeParsed(holder.initializer, modules, hops + 1)
    : undefined;
}

/**
 * Whether an expression is the output of a fixed-key zod object schema (see `parsedBy`).
 *
 * @example
 * // const parsed = UpdateSchema.safeParse(body); for (const [k] of Object.entries(parsed.data)) sets.push(`${k} = ?`)
 * zodParsed(parsedDotData, modules); // true when UpdateSchema = z.object({ title: …, status: … })
 */
export function zodParsed(expr: ts.Expression, modules: CodeModules | undefined): boolean {
  const schema = parsedBy(expr, modules);
  return !!schema && fixedKeySchema(schema, modules, 0);
}

/** `S.safeParse(x)` (or a `const` holding it): the schema `S`. */
function safeParsed(expr: ts.Expression, modules: CodeModules | undefined, hops: number): ts.Expression | undefined {
  const e = unwrap(expr);
  if (hops > MAX_HOPS) return undefined;
  if (ts.isIdentifier(e)) {
    const held = constValue(e, modules);
    return held && safeParsed(held, modules, hops + 1);
  }
  const name = ts.isCallExpression(e) ? calleeName(e) : undefined;
  const recv = ts.isCallExpression(e) ? receiverOf(e) : undefined;
  return name === "safeParse" || name === "safeParseAsync" ? recv : undefined;
}

/** The schema a property of an object literal gives `key` (`{ sort: z.enum(…) }`, `{ sort }`). */
function ownField(o: ts.Expression | undefined, key: string): ts.Expression | undefined {
  const x = o && unwrap(o);
  if (!x || !ts.isObjectLiteralExpression(x)) return undefined;
  for (const p of x.properties) {
    const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (name !== key) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    return ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
  }
  return undefined;
}

/** Object-schema methods that keep each field's schema (an object-level `.default()`/`.catch()` could supply any). */
const KEEPS_FIELDS = new Set([...KEEPS_KEYS, "passthrough"].filter((m) => m !== "default" && m !== "catch"));

/** The schema of field `key` in a zod object schema, through `.extend()`, `.merge()` and the methods that keep it. */
function fieldSchema(
  schema: ts.Expression,
  key: string,
  modules: CodeModules | undefined,
  hops: number,
): ts.Expression | undefined {
  const e = unwrap(schema);
  if (hops > MAX_HOPS) return undefined;
  if (ts.isIdentifier(e)) {
    const held = constValue(e, modules);
    return held && fieldSchema(held, key, modules, hops + 1);
  }
  if (!ts.isCallExpression(e)) return undefined;
  const name = calleeName(e) ?? "";
  const recv = receiverOf(e);
  const [first] = e.arguments;
  if (OBJECT_MAKERS.has(name)) return ownField(first, key);
  if (!recv) return undefined;
  if (KEEPS_FIELDS.has(name)) return fieldSchema(recv, key, modules, hops + 1);
  if (name === "extend") return ownField(first, key) ?? fieldSchema(recv, key, modules, hops + 1);
  if (name === "merge")
    return (first && fieldSchema(first, key, modules, hops + 1)) ?? fieldSchema(recv, key, modules, hops + 1);
  return undefined;
}

/** Schemas that parse to a number or boolean, and the checks that keep them one. */
const NUMBER_SCHEMAS = new Set(["number", "int", "bigint", "boolean"]);
const NUMBER_CHECKS = new Set([
  "int",
  "min",
  "max",
  "gt",
  "gte",
  "lt",
  "lte",
  "positive",
  "negative",
  "nonnegative",
  "nonpositive",
  "finite",
  "safe",
  "multipleOf",
  "step",
]);
/** Modifiers that keep a schema's output (or add `undefined`/`null`). */
const KEEPS_OUTPUT = new Set([
  "optional",
  "nullable",
  "nullish",
  "describe",
  "readonly",
  "brand",
  "refine",
  "superRefine",
]);

/** `z`, `zod` or `z.coerce`: zod itself, not an object of the project's. */
function isZod(recv: ts.Expression | undefined, modules: CodeModules | undefined): boolean {
  const r = recv && unwrap(recv);
  if (r && ts.isPropertyAccessExpression(r) && r.name.text === "coerce") return isZod(r.expression, modules);
  return !!r && ts.isIdentifier(r) && !findDeclaration(r.text, r) && !resolveName(r, modules);
}

/**
 * Whether a zod schema's output is always constant: `z.enum([…])`, `z.literal(…)`, a native enum, numbers and
 * booleans (`z.coerce.number().int().max(100)`), arrays and unions of them, with `.optional()`, `.default(c)`, …
 * `constant` judges the literals written in it. A `.transform()` or `z.string()` is not.
 */
function constantSchema(
  schema: ts.Expression,
  modules: CodeModules | undefined,
  constant: (e: ts.Expression) => boolean,
  hops: number,
): boolean {
  const e = unwrap(schema);
  if (hops > MAX_HOPS) return false;
  if (ts.isIdentifier(e)) {
    const held = constValue(e, modules);
    return !!held && constantSchema(held, modules, constant, hops + 1);
  }
  if (!ts.isCallExpression(e)) return false;
  const name = calleeName(e) ?? "";
  const recv = receiverOf(e);
  const [first] = e.arguments;
  const inner = (x: ts.Expression | undefined) => !!x && constantSchema(x, modules, constant, hops + 1);
  if (isZod(recv, modules)) {
    if (NUMBER_SCHEMAS.has(name)) return true;
    if (name === "enum" || name === "literal") return !!first && constant(first);
    if (name === "nativeEnum") {
      const d =
        first && ts.isIdentifier(unwrap(first)) ? resolveName(unwrap(first) as ts.Identifier, modules) : undefined;
      return (!!d && ts.isEnumDeclaration(d)) || (!!first && constant(first));
    }
    if (name === "array") return inner(first);
    if (name === "union") {
      const list = first && unwrap(first);
      return !!list && ts.isArrayLiteralExpression(list) && list.elements.every((x) => inner(x));
    }
    return false;
  }
  if (!recv) return false;
  if (NUMBER_CHECKS.has(name) || KEEPS_OUTPUT.has(name) || name === "array") return inner(recv);
  if (name === "default" || name === "catch") return inner(recv) && !!first && constant(first);
  if (name === "or") return inner(recv) && inner(first);
  return false;
}

/**
 * Whether field `key` of a zod schema's output is always constant (`q.sort` where `q = Query.parse(…)` and
 * `sort: z.enum(["created_at", "title"])`): a parsed value can only be one the schema lets through.
 *
 * @example
 * zodConstantField(qIdentifier, "sort", modules, constantText); // true for sort: z.enum([...]).default("created_at")
 */
export function zodConstantField(
  parsed: ts.Expression,
  key: string,
  modules: CodeModules | undefined,
  constant: (e: ts.Expression) => boolean,
): boolean {
  const schema = parsedBy(parsed, modules);
  const field = schema && fieldSchema(schema, key, modules, 0);
  return !!field && constantSchema(field, modules, constant, 0);
}
