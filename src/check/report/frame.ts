/**
 * A few lines of a file around `line`, numbered, with the line marked: the code frame of a finding.
 *
 * @example
 * codeFrame("a\nb\nc", 2); // "  1 | a\n> 2 | b\n  3 | c"
 */
export function codeFrame(text: string, line: number, { context = 2, maxWidth = 160 } = {}): string {
  // Only split the neighbourhood, so a frame in a 10 MB file costs a scan to the line, not a full split.
  const first = Math.max(1, line - context);
  let pos = 0;
  for (let l = 1; l < first; l++) {
    const nl = text.indexOf("\n", pos);
    if (nl < 0) return "";
    pos = nl + 1;
  }
  const lines: string[] = [];
  for (let l = first; l <= line + context && pos <= text.length; l++) {
    const end = text.indexOf("\n", pos);
    // The "line" after a file's final newline is not a line.
    if (end < 0 && pos === text.length && l > line) break;
    lines.push(text.slice(pos, end < 0 ? text.length : end).replace(/\r$/, ""));
    if (end < 0) break;
    pos = end + 1;
  }
  const width = String(first + lines.length - 1).length;
  return lines
    .map((src, i) => {
      const n = first + i;
      const shown = src.length > maxWidth ? `${src.slice(0, maxWidth)}…` : src;
      return `${n === line ? ">" : " "} ${String(n).padStart(width)} | ${shown}`;
    })
    .join("\n");
}
