import { type Finding, parseSuppression, type Suppression } from "../findings.js";
import { check as unusedIgnore, meta as unusedMeta } from "../rules/d1/unused-ignore.js";
import { missingReason } from "../rules/suppression/missing-reason.js";
import type { SqlComment, SqlStatement } from "../sql/split.js";

interface Placed extends Suppression {
  /** Lines of the statement a `blastwall-ignore` comment sits above. */
  range?: [number, number];
}

/**
 * Applies `-- blastwall-ignore <rule>: <reason>` (the next statement) and `-- blastwall-ignore-file <rule>: <reason>`
 * (the whole file) to one file's findings. Returns the findings that remain, plus one finding for each ignore
 * without a reason (`suppression/missing-reason`, shared with the config and code analyzers) and each ignore that
 * matched nothing.
 *
 * @example
 * applySuppressions("migrations/0004.sql", split.statements, split.comments, findings);
 */
export function applySuppressions(
  file: string,
  statements: readonly SqlStatement[],
  comments: readonly SqlComment[],
  findings: readonly Finding[],
): Finding[] {
  const owner = new Map<SqlComment, SqlStatement>();
  for (const s of statements) for (const c of [...s.leading, ...s.trailing]) owner.set(c, s);
  const sups: Placed[] = [];
  const out: Finding[] = [];
  for (const c of comments) {
    const parsed = parseSuppression(c.text, c.line);
    if (!parsed) continue;
    if ("error" in parsed) {
      out.push(missingReason(file, parsed.line, parsed.error));
      continue;
    }
    const stmt = owner.get(c);
    sups.push({ ...parsed, ...(stmt ? { range: [stmt.line, stmt.endLine] as [number, number] } : {}) });
  }
  for (const f of findings) {
    const match =
      sups.find((s) => s.scope === "file" && s.rule === f.rule) ??
      sups.find(
        (s) => s.scope === "next" && s.rule === f.rule && s.range && f.line >= s.range[0] && f.line <= s.range[1],
      );
    if (match) match.used = true;
    else out.push(f);
  }
  for (const s of sups)
    if (!s.used)
      out.push({
        rule: unusedMeta.id,
        severity: unusedMeta.severity,
        file,
        line: s.line,
        ...unusedIgnore(s.rule, s.scope),
      });
  return out;
}
