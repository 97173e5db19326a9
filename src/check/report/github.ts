import type { CheckResult, Severity } from "../findings.js";

const COMMAND: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

/** Workflow-command escaping: data escapes %, CR, LF; properties also escape `:` and `,`. */
const data = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const prop = (s: string) => data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

export interface GithubOptions {
  /** Path from the repository root (GITHUB_WORKSPACE) to the project dir, so annotations land on the right file. */
  prefix?: string;
}

/**
 * GitHub Actions annotations, one `::error`/`::warning`/`::notice` line per finding.
 *
 * @example
 * renderGithub(result); // "::error file=migrations/0002.sql,line=4,title=d1/drop-column::drops column …"
 */
export function renderGithub(result: CheckResult, { prefix = "" }: GithubOptions = {}): string {
  const lines = result.findings.map((f) => {
    const file = prefix && prefix !== "." ? `${prefix.replace(/\/$/, "")}/${f.file}` : f.file;
    const props = [
      `file=${prop(file)}`,
      `line=${f.line}`,
      ...(f.column ? [`col=${f.column}`] : []),
      `title=${prop(f.rule)}`,
    ];
    return `::${COMMAND[f.severity]} ${props.join(",")}::${data(`${f.message}\nfix: ${f.fix}`)}`;
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
