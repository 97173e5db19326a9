// Which Node.js this blastwall runs on: checked by bin/blastwall.js before anything native (better-sqlite3,
// workerd) loads, so an unsupported Node gets one clear line instead of a stack trace from a native module.

/**
 * Compares a Node version with an `engines.node` range written as `^M.m.p` alternatives joined by `||`.
 * A version older than the range, or between its majors, is refused; a major newer than all of them is allowed
 * with a warning, since it is only untested.
 *
 * @param {string} version - e.g. process.versions.node, "22.23.5"
 * @param {string} range - e.g. "^20.19.0 || ^22.12.0 || ^24.0.0"
 * @returns {{ level: "ok" | "warn" | "error", line?: string }}
 * @example
 * checkNode("18.20.4", "^20.19.0 || ^22.12.0 || ^24.0.0").level; // "error"
 */
export function checkNode(version, range) {
  const parse = (v) =>
    v
      .replace(/^[\^v]/, "")
      .split(".")
      .map(Number);
  const [major = 0, minor = 0, patch = 0] = parse(version);
  const alternatives = range.split("||").map((r) => parse(r.trim()));
  const named = alternatives.map(([M, m]) => (m > 0 ? `${M}.${m}+` : `${M}`)).join(", ");
  const inRange = alternatives.some(([M, m = 0, p = 0]) => major === M && (minor > m || (minor === m && patch >= p)));
  if (inRange) return { level: "ok" };
  const newest = Math.max(...alternatives.map(([M]) => M));
  if (major > newest) {
    return { level: "warn", line: `warning: blastwall is tested on Node.js ${named}; this is v${version}` };
  }
  return {
    level: "error",
    line: `error: blastwall needs Node.js ${named} (this is v${version}); fix: install Node.js ${newest} LTS and reinstall`,
  };
}
