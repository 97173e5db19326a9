/** Plain-text reading of Worker source shared by the code facts D1 rules ask for (no parser: text is enough). */

/** Files that do not run in the Worker: scripts run by hand, tests, seeds. Their SQL touches other databases. */
export const TOOLING =
  /(^|\/)(scripts?|tools?|bin|tests?|__tests__|e2e|seeds?|fixtures?)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

/** Whether the line holding `index` is a comment up to it (`//`, a block comment's `*`, SQL's `--`): it runs nothing. */
export function commentedOut(text: string, index: number): boolean {
  const before = text.slice(text.lastIndexOf("\n", index) + 1, index).trimStart();
  return before.startsWith("//") || before.startsWith("*") || before.startsWith("--");
}

/** The 1-based line of `index` in `text`. */
export const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length;
