import { type CommentLine, scopeSuppressions } from "../config/suppressions.js";

/**
 * The `// blastwall-ignore` comments of a source file, read as text (the D1 analyzer parses no code): a comment on a
 * line of its own covers the next three lines (a `.prepare(` call on the line after, or a chained one below it).
 *
 * @example
 * codeSuppressions("src/db.ts", text); // { scoped: [{ suppression, from: 12, to: 14 }], problems: [] }
 */
export function codeSuppressions(file: string, text: string): ReturnType<typeof scopeSuppressions> {
  if (!text.includes("blastwall-ignore")) return { scoped: [], problems: [] };
  const lines = text.split("\n");
  const comments: CommentLine[] = lines.flatMap((l, i) => {
    const m = /^(.*?)(?:\/\/|\/\*)\s*(blastwall-ignore.*?)\s*(?:\*\/\s*)?$/.exec(l);
    return m?.[2] ? [{ line: i + 1, body: m[2], trailing: (m[1] ?? "").trim() !== "" }] : [];
  });
  return scopeSuppressions(file, comments, (line) => [line + 1, line + 3], lines.length);
}
