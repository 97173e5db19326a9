import type ts from "typescript";
import type { CodeModules } from "./modules.js";

/** The state of one constant fold (see sql-constant.ts): how deep it went, what it trusts, where it may look. */
export interface Fold {
  depth: number;
  /** Parameters known to hold constant values (e.g. the element of a `.map` over a constant array). */
  trusted: ReadonlySet<ts.Node>;
  /** Parameters of the calls being folded, each holding its call's argument (undefined: none passed). */
  bound: ReadonlyMap<ts.Node, ts.Expression | undefined>;
  /** Functions being folded, against recursion. */
  visiting: Set<ts.Node>;
  /** The project's modules, to follow imports and ask types. */
  modules?: CodeModules;
  /** Steps left for the whole fold (shared by its branches): call sites fan out, so cost stays bounded. */
  budget: { steps: number };
  /** The Worker's `vars` names: `env.NAME` is deploy-time config, not request input. */
  vars: ReadonlySet<string>;
  /** Whether to ask the type checker when the syntax does not settle it (costs a Program per file). */
  typed: boolean;
}

export interface FoldOptions {
  modules?: CodeModules;
  typed?: boolean;
  vars?: ReadonlySet<string>;
}

/**
 * A fresh fold.
 *
 * @example
 * constantText(expr, startFold({ modules, typed: true }));
 */
export function startFold({ modules, typed = false, vars = new Set() }: FoldOptions = {}): Fold {
  return {
    depth: 0,
    trusted: new Set(),
    bound: new Map(),
    visiting: new Set(),
    budget: { steps: MAX_FOLD_STEPS },
    vars,
    ...(modules ? { modules } : {}),
    typed,
  };
}

/** Past this many nested steps a value is not traced (it stays "not constant"). */
export const MAX_FOLD_DEPTH = 16;

/** Past this many steps in all, one spliced value is not traced further. */
export const MAX_FOLD_STEPS = 4000;
