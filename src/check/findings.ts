/**
 * The finding model and JSON contract shared by every `blastwall check` analyzer
 * (D1 migrations, wrangler config, Worker code). Version 1 of the contract is documented in
 * docs/check-json.md; add fields, never change or remove them.
 */

export type Severity = "error" | "warning" | "info";

export type MigrationClass = "expand" | "contract" | "data" | "mixed";

export interface Finding {
  /** Rule id, `<area>/<name>`, e.g. "d1/drop-column"; docs live at docs/rules/<id>.md. */
  rule: string;
  severity: Severity;
  /** Path relative to the project dir, with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  column?: number;
  message: string;
  /** The safe alternative, filled in with the user's own names. */
  fix: string;
  /** Numbers behind the finding (rows lost, tables touched...), for reports and JSON consumers. */
  data?: Record<string, unknown>;
  /**
   * Set when the finding is on shipped history (a migration or Durable Object step that already shipped, or a
   * finding recorded by `check --init`): its severity dropped to info, and this keeps where that came from and
   * the severity it had.
   */
  parked?: { from: "baseline" | "base" | "data" | "lock"; severity: Severity };
}

export interface MigrationSummary {
  file: string;
  class: MigrationClass;
  /** Which D1 binding/database the file belongs to. */
  database?: string;
}

export interface CheckResult {
  version: 1;
  findings: Finding[];
  migrations: MigrationSummary[];
  /** Present when a baseline was used: its sources, how many findings it parked, and the file `--init` wrote. */
  baseline?: { sources: string[]; parked: number; written?: string };
}

/** Static description of a rule: one rule per file exports one of these alongside its logic. */
export interface RuleMeta {
  id: string;
  severity: Severity;
  /** One line, for `--help`-style lists and SARIF. */
  summary: string;
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      ORDER[a.severity] - ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}

/** Whether the gate fails: any error-severity finding remains (the CLI exits 1 then). */
export function failsGate(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "error");
}

export interface Suppression {
  rule: string;
  reason: string;
  /** Whole file (`blastwall-ignore-file`) or the next statement / line. */
  scope: "file" | "next";
  /** 1-based line of the comment. */
  line: number;
  used: boolean;
}

/**
 * Parses one suppression comment body (without the comment marker). The same syntax serves SQL (`--`),
 * TypeScript and JSONC (`//`) and TOML (`#`):
 * `blastwall-ignore <rule-id>: <reason>` or `blastwall-ignore-file <rule-id>: <reason>`.
 * Returns an error string when the comment is a suppression without a reason.
 */
export function parseSuppression(
  comment: string,
  line: number,
): Suppression | { error: string; line: number } | undefined {
  const m = /^\s*blastwall-ignore(-file)?\b\s*([^\s:]*)\s*(?::\s*(.*))?$/.exec(comment.trim());
  if (!m) return undefined;
  const rule = m[2] ?? "";
  const reason = (m[3] ?? "").trim();
  if (!rule)
    return { error: "blastwall-ignore needs a rule id, e.g. `blastwall-ignore d1/drop-column: <reason>`", line };
  if (!reason)
    return {
      error: `blastwall-ignore ${rule} needs a reason after a colon: \`blastwall-ignore ${rule}: <why this is safe>\``,
      line,
    };
  return { rule, reason, scope: m[1] ? "file" : "next", line, used: false };
}
