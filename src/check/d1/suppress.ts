import { type Finding, parseSuppression, type Suppression } from "../findings.js";
import { suppressionFindings } from "../rules/suppressions.js";
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
  const malformed: { line: number; error: string }[] = [];
  for (const c of comments) {
    const parsed = parseSuppression(c.text, c.line);
    if (!parsed) continue;
    if ("error" in parsed) {
      malformed.push(parsed);
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
  out.push(...suppressionFindings({ file, malformed, applied: sups }));
  return out;
}
