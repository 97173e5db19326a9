import type { CheckResult, RuleMeta } from "../findings.js";
import { renderGithub } from "./github.js";
import { renderJson } from "./json.js";
import { renderPretty } from "./pretty.js";
import { renderSarif } from "./sarif.js";

export const REPORT_FORMATS = ["pretty", "json", "sarif", "github"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(v: string): v is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(v);
}

export interface RenderReportOptions {
  format: ReportFormat;
  /** Project dir the finding paths are relative to. */
  root: string;
  paint?: (text: string, code: string) => string;
  rules?: readonly RuleMeta[];
  toolVersion?: string;
  /** Also print GitHub annotations after the pretty report (set when GITHUB_ACTIONS=true). */
  annotate?: boolean;
  /** Path from GITHUB_WORKSPACE to the project dir. */
  githubPrefix?: string;
}

/**
 * Renders a check result in any format. Reporters only read the Finding contract, so every analyzer
 * (D1 migrations, config, code) plugs in unchanged.
 *
 * @example
 * process.stdout.write(renderReport(result, { format: "sarif", root: "." }));
 */
export function renderReport(
  result: CheckResult,
  { format, root, paint, rules, toolVersion, annotate = false, githubPrefix }: RenderReportOptions,
): string {
  switch (format) {
    case "json":
      return renderJson(result);
    case "sarif":
      return renderSarif(result, { rules, toolVersion });
    case "github":
      return renderGithub(result, { prefix: githubPrefix });
    default:
      return renderPretty(result, { root, paint }) + (annotate ? renderGithub(result, { prefix: githubPrefix }) : "");
  }
}
