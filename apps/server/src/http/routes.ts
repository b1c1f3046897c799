import type { OpenAPIObject } from "trpc-to-openapi";

/**
 * The route label of a request for metrics: a known REST path, `/trpc/<procedure>`, or
 * "unmatched", so that scanners probing random URLs cannot blow up label cardinality.
 */
export function createRouteLabeler(options: {
  openApiDocument: OpenAPIObject;
  procedures: readonly string[];
}) {
  const rest = new Set(Object.keys(options.openApiDocument.paths ?? {}).map((path) => `/api${path}`));
  for (const path of ["/api/openapi.json", "/api/docs", "/metrics"]) rest.add(path);
  const trpc = new Set(options.procedures.map((name) => `/trpc/${name}`));
  return (pathname: string): string => {
    const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
    if (rest.has(path) || trpc.has(path)) return path;
    if (path.startsWith("/api/docs/")) return "/api/docs";
    if (path.startsWith("/trpc/") && path.includes(",")) return "/trpc/(batch)";
    return "unmatched";
  };
}
