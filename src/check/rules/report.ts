import type { Finding, RuleMeta, Severity } from "../findings.js";

/** What a rule reports: where, what happened, and the safe alternative in the user's own names. */
export interface Hit {
  /** Path relative to the project dir; absent means the file the rule was checking. */
  file?: string;
  /** 1-based. */
  line: number;
  column?: number;
  message: string;
  fix: string;
  /** Numbers behind the hit, for reports and JSON consumers. */
  data?: Record<string, unknown>;
  /** Overrides the rule's severity for this hit. */
  severity?: Severity;
}

/** A hit that names its file itself, for checks that see a whole project rather than one file. */
export type PlacedHit = Hit & { file: string };

/**
 * The one report builder: a rule's hit as a finding, with the rule's id and (unless the hit overrides it) severity.
 *
 * @example
 * report(meta, { line: 3, message: "drops table orders", fix: "contract in two releases" }, "migrations/0004.sql");
 */
export function report(meta: RuleMeta, hit: Hit, file: string): Finding {
  const { file: own, line, column, message, fix, data, severity } = hit;
  return {
    rule: meta.id,
    severity: severity ?? meta.severity,
    file: own ?? file,
    line,
    ...(column !== undefined ? { column } : {}),
    message,
    fix,
    ...(data ? { data } : {}),
  };
}
