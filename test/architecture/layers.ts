import type { ImportEdge } from "./import-graph.js";

/**
 * The layers of `src`, lowest first. A file may import its own layer, its peers' never, and any lower layer.
 * Peers (`check | platform`) sit on one rank and may not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["runtime"],
  ["core"],
  ["project"],
  ["check", "platform"],
  ["release", "runbook", "init"],
  ["ui", "ci"],
  ["drill", "demo"],
  ["cli"],
];

/** A broken layering rule: which file imports which, and the rule it breaks, in words. */
export interface LayerViolation {
  from: string;
  to: string;
  rule: string;
}

/** The top folder under `src/` a file belongs to, e.g. `release` for `src/release/analysis/x.ts`. */
export function layerOf(file: string): string | undefined {
  const m = /^src\/([^/]+)\//.exec(file);
  return m?.[1];
}

function rankOf(layers: readonly (readonly string[])[], name: string): number {
  return layers.findIndex((rank) => rank.includes(name));
}

/**
 * Checks each edge against the layer order and the CLI boundary (nothing outside `src/cli` imports it).
 *
 * @example
 * layerViolations([{ from: "src/core/a.ts", to: "src/cli/b.ts" }]);
 * // [{ from: "src/core/a.ts", to: "src/cli/b.ts", rule: "core must not import cli: …" }, …]
 */
export function layerViolations(edges: readonly ImportEdge[], layers = LAYERS): LayerViolation[] {
  const order = layers.map((rank) => rank.join(" | ")).join(" < ");
  const out: LayerViolation[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || b === undefined || a === b) continue;
    const ra = rankOf(layers, a);
    const rb = rankOf(layers, b);
    if (ra < 0 || rb < 0) {
      out.push({ from, to, rule: `every folder of src must have a place in the layer order (${order})` });
    } else if (b === "cli") {
      out.push({ from, to, rule: "nothing outside src/cli imports src/cli" });
    } else if (rb > ra) {
      out.push({ from, to, rule: `${a} must not import ${b}, a higher layer (${order})` });
    } else if (rb === ra) {
      out.push({ from, to, rule: `${a} must not import its peer ${b} (${order})` });
    }
  }
  return out;
}
