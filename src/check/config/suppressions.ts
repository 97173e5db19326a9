import { type Finding, parseSuppression, type Suppression } from "../findings.js";
import { suppressionFindings } from "../rules/suppressions.js";

/** A parsed suppression and the 1-based line range it covers. */
export interface ScopedSuppression {
  suppression: Suppression;
  from: number;
  to: number;
}

export interface CommentLine {
  /** 1-based. */
  line: number;
  /** The comment's text without its marker. */
  body: string;
  /** True when code precedes the comment on its line (a trailing comment covers its own line). */
  trailing: boolean;
}

/**
 * Turns comments into suppressions. A whole-line comment covers the range `nextRange(line)` returns
 * (the next line of config, or the next statement of code); a trailing comment covers its own line.
 * Malformed suppressions (no rule id, no reason) come back as findings of their own.
 *
 * @example
 * const { scoped, problems } = scopeSuppressions("wrangler.toml", comments, (l) => [l + 1, l + 1], lineCount);
 */
export function scopeSuppressions(
  file: string,
  comments: readonly CommentLine[],
  nextRange: (line: number) => [number, number],
  lastLine: number,
): { scoped: ScopedSuppression[]; problems: Finding[] } {
  const scoped: ScopedSuppression[] = [];
  const malformed: { line: number; error: string }[] = [];
  for (const c of comments) {
    const parsed = parseSuppression(c.body, c.line);
    if (!parsed) continue;
    if ("error" in parsed) {
      malformed.push(parsed);
      continue;
    }
    if (parsed.scope === "file") scoped.push({ suppression: parsed, from: 1, to: lastLine });
    else if (c.trailing) scoped.push({ suppression: parsed, from: c.line, to: c.line });
    else {
      const [from, to] = nextRange(c.line);
      scoped.push({ suppression: parsed, from, to });
    }
  }
  return { scoped, problems: suppressionFindings({ file, malformed }) };
}

/** Drops the findings a suppression covers, marking those suppressions used. */
export function applySuppressions(findings: readonly Finding[], scoped: readonly ScopedSuppression[]): Finding[] {
  return findings.filter((f) => {
    const hit = scoped.find((s) => s.suppression.rule === f.rule && f.line >= s.from && f.line <= s.to);
    if (hit) hit.suppression.used = true;
    return !hit;
  });
}

/**
 * Finds the comments of a config file: `#` in TOML, `//` in JSON(C). Markers inside strings are skipped by
 * tracking quotes on each line.
 */
export function configComments(text: string, format: "toml" | "json" | "jsonc"): CommentLine[] {
  const out: CommentLine[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    let quote: string | undefined;
    for (let j = 0; j < line.length; j++) {
      const ch = line[j];
      if (quote) {
        if (ch === "\\") j++;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === '"' || (format === "toml" && ch === "'")) {
        quote = ch;
        continue;
      }
      const isComment = format === "toml" ? ch === "#" : ch === "/" && line[j + 1] === "/";
      if (isComment) {
        out.push({
          line: i + 1,
          body: line.slice(j + (format === "toml" ? 1 : 2)),
          trailing: line.slice(0, j).trim() !== "",
        });
        return;
      }
    }
  });
  return out;
}

/** For config files: a whole-line comment covers the next line that is neither blank nor a comment. */
export function nextConfigLine(text: string): (line: number) => [number, number] {
  const lines = text.split("\n");
  return (line) => {
    for (let i = line; i < lines.length; i++) {
      const t = (lines[i] ?? "").trim();
      if (t !== "" && !t.startsWith("#") && !t.startsWith("//")) return [i + 1, i + 1];
    }
    return [line, line];
  };
}
