import type ts from "typescript";
import type { Project } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { ConfigSection } from "../config/sections.js";
import type { Finding, RuleMeta } from "../findings.js";
import { report } from "../rules/report.js";
import type { CodeModules } from "./modules.js";
import { lineOf } from "./source.js";

/** The binding names a Worker declares in any of its sections, by kind. */
export interface WorkerBindings {
  d1: Set<string>;
  kv: Set<string>;
  r2: Set<string>;
  durableObjects: Set<string>;
  services: Set<string>;
  /** Producer binding → queue name. */
  producers: Map<string, string>;
  /** `vars` with string values, for constants read from `env`. */
  vars: Map<string, string>;
}

export interface SourceFileInfo {
  /** Absolute path. */
  path: string;
  /** Relative to the project dir. */
  file: string;
  sf: ts.SourceFile;
}

export interface WorkerCode {
  worker: WranglerConfig;
  /** The config's path relative to the project dir. */
  configFile: string;
  sections: ConfigSection[];
  bindings: WorkerBindings;
  files: SourceFileInfo[];
  /** The parsed `main` module, when it parsed. */
  entry?: SourceFileInfo;
  /** Every section of every Worker in the project (for rules that join Workers, e.g. producers and pullers). */
  projectSections: { worker: WranglerConfig; file: string; section: ConfigSection }[];
}

export interface CodeFileContext {
  code: WorkerCode;
  source: SourceFileInfo;
  /** The project's modules: imports followed across files, types on demand. */
  modules?: CodeModules;
}

/** A source file the analyzer could not read or a rule could not finish (too large, syntax error, too deep). */
export interface SkippedSource {
  /** Relative to the project dir. */
  file: string;
  reason: string;
  /** 1-based, where the parser stopped. */
  line?: number;
}

export interface CodeProjectContext {
  project: Project;
  workers: WorkerCode[];
  projectSections: { worker: WranglerConfig; file: string; section: ConfigSection }[];
  /** Files no code rule checked, each once. */
  skipped: readonly SkippedSource[];
}

/**
 * Builds a finding at a node of a source file.
 *
 * @example
 * finding(meta, ctx.source, call, "SQL built by interpolation", "bind it");
 */
export function finding(
  meta: RuleMeta,
  source: SourceFileInfo,
  node: ts.Node,
  message: string,
  fix: string,
  data?: Record<string, unknown>,
): Finding {
  const { line, character } = source.sf.getLineAndCharacterOfPosition(node.getStart(source.sf));
  return report(meta, { line: line + 1, column: character + 1, message, fix, data }, source.file);
}

export { lineOf };
