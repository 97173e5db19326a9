import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { Severity } from "../findings.js";
import { isScriptFile } from "./files.js";

/** Why a Worker's code is not read by the code rules, with the fix and how much it matters. */
export interface UnreadMain {
  why: string;
  fix: string;
  severity: Severity;
}

/**
 * Why the code rules cannot read a Worker's code: no `main` (assets only, or a Pages project), a `main` in another
 * language, a package specifier, or a file that is not there. Undefined when `main` is a script file that exists.
 *
 * @example
 * unreadMain(config)?.why; // 'main "dist/index.js" does not exist (a build output that is not built yet)'
 */
export function unreadMain(worker: WranglerConfig, configFile: string): UnreadMain | undefined {
  if (!worker.main) {
    if (typeof worker.raw.pages_build_output_dir === "string")
      return {
        why: "a Pages project (`pages_build_output_dir`, no `main`): the code rules read a Worker's `main` and what it imports; the D1 rules still read its Functions and sources for the tables and columns they use",
        fix: "nothing to fix in the project; the config, D1, queue and Durable Object rules still check it",
        severity: "info",
      };
    return {
      why: "the config sets no `main`",
      fix: "set `main` to the Worker's entry file if it has code",
      severity: "info",
    };
  }
  const spec = worker.main;
  if (existsSync(resolve(dirname(worker.path), spec))) {
    if (isScriptFile(spec)) return undefined;
    const python = spec.endsWith(".py");
    return {
      why: `main "${spec}" is ${python ? "a Python Worker" : "not JavaScript or TypeScript"}, and blastwall's code rules read only JavaScript and TypeScript`,
      fix: "nothing to fix in the project; the config, D1, queue and Durable Object rules still check it",
      severity: "info",
    };
  }
  if (!/^[./]/.test(spec) && !/\.[cm]?[jt]sx?$/.test(spec))
    return {
      why: `main "${spec}" is a package specifier, which blastwall does not resolve`,
      fix: "point `main` at a file in the project (e.g. src/index.ts) to have its code checked",
      severity: "warning",
    };
  const built = /(^|\/)(dist|build|out|\.output|\.svelte-kit|\.next)\//.test(spec);
  return {
    why: built
      ? `main "${spec}" does not exist (a build output that is not built yet)`
      : `main "${spec}" does not exist`,
    fix: built
      ? "run the build before `blastwall check`, or check the source folder by pointing `main` at the source entry"
      : `create ${spec} or fix the path in main (it is relative to ${configFile})`,
    severity: "warning",
  };
}
