/**
 * Route patterns for the kill switch: `"/healthz"`, `"/orders/*"`, `"/carts/:user"`, with an optional method
 * (`"GET /fanout/*"`). `*` matches any rest of the path, `:name` one segment. A RegExp is tested on the pathname.
 */
export type RoutePattern = string | RegExp;

export interface CompiledRoute {
  method?: string;
  test(pathname: string): boolean;
}

const METHOD = /^([A-Z]+)\s+(\/.*)$/;

export function compileRoute(pattern: RoutePattern): CompiledRoute {
  if (pattern instanceof RegExp) return { test: (p) => pattern.test(p) };
  const m = METHOD.exec(pattern.trim());
  const method = m?.[1];
  const path = m?.[2] ?? pattern.trim();
  if (!path.startsWith("/")) {
    throw new TypeError(
      `blastwall route pattern "${pattern}" must start with "/" (optionally after a method, e.g. "POST /orders/*")`,
    );
  }
  const source = path
    .split(/(\*|:[A-Za-z_]\w*)/)
    .map((part) => {
      if (part === "*") return ".*";
      if (part.startsWith(":")) return "[^/]+";
      return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  const re = new RegExp(`^${source}/?$`);
  return method ? { method, test: (p) => re.test(p) } : { test: (p) => re.test(p) };
}

export function matchesAny(routes: readonly CompiledRoute[], method: string, pathname: string): boolean {
  return routes.some((r) => (r.method === undefined || r.method === method) && r.test(pathname));
}
