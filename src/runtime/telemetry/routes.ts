/**
 * Route labels for telemetry: the analysis compares the canary with stable within each route, so a canary that
 * serves a different mix of endpoints is not mistaken for a worse one. Users map paths to routes with patterns:
 * `:name` matches one path segment, a trailing `*` the rest. Pure: no Workers or Node types.
 */

/** A pattern and the route label it gives, e.g. ["/orders/:id", "orders/:id"]. First match wins. */
export type RoutePattern = readonly [pattern: string, route: string];

/** The label of a path no pattern matches. */
export const OTHER_ROUTE = "other";

function matches(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const s = path.split("/");
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (seg === "*" && i === p.length - 1) return true;
    if (i >= s.length) return false;
    if (seg?.startsWith(":")) {
      if (!s[i]) return false;
      continue;
    }
    if (seg !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * The route label of a path: the first matching pattern's label, else "other" (never the raw path, so the label
 * stays low-cardinality).
 *
 * @example
 * routeOf("/orders/42", [["/orders/:id", "orders/:id"], ["/static/*", "static"]]); // "orders/:id"
 */
export function routeOf(path: string, routes: readonly RoutePattern[]): string {
  for (const [pattern, route] of routes) if (matches(pattern, path)) return route;
  return OTHER_ROUTE;
}
