import { readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { filesExecutedByScripts } from "./order-apply-scripts.js";

/**
 * The 1-based line of a comment in a migration that says to run that very file with `wrangler d1 execute --file`
 * (`-- Apply with: wrangler d1 execute DB --remote --file=migrations/0002_add_api_keys.sql`).
 *
 * @example
 * executeCommentLine("-- wrangler d1 execute db --remote --file migrations/0004_x.sql\nCREATE …", "0004_x.sql"); // 1
 */
export function executeCommentLine(text: string, name: string): number | undefined {
  const base = name.split("/").pop() ?? name;
  const at = text
    .split("\n")
    .findIndex((l) => /^\s*--/.test(l) && /\bd1\s+execute\b/.test(l) && /--file/.test(l) && l.includes(base));
  return at < 0 ? undefined : at + 1;
}

/** Where a project says its migrations reach production by hand, with `wrangler d1 execute --remote --file`. */
export interface HandApply {
  /** The file that says so (a migration, or a package.json), absolute, and its line. */
  file: string;
  line: number;
  /** For messages: "0004_add_payouts.sql:20 tells operators to run it by hand with …". */
  how: string;
}

/**
 * Whether the folder's migrations go to production by hand: a package.json script runs one of them on the remote
 * database with `wrangler d1 execute --file`, or a migration's own comment says to run it so (a `--local` line only
 * touches the dev database). Such a file can reach production whenever someone runs it, with nothing committed on
 * top, so a later edit can come after it ran.
 *
 * @example
 * handApplied("/repo/migrations", ["0001_init.sql", "0002_add_payouts.sql"]); // { file: "/repo/migrations/0002_add_payouts.sql", line: 18, how: "…" }
 */
export function handApplied(folder: string, names: readonly string[]): HandApply | undefined {
  const inFolder = new Set(names.map((n) => resolve(folder, n)));
  const script = filesExecutedByScripts(folder).find((e) => e.remote && inFolder.has(e.file));
  if (script)
    return {
      file: script.pkg,
      line: script.line,
      how: `the \`${script.script}\` script (${relative(folder, script.pkg).split(sep).join("/")}:${script.line}) runs migrations by hand with \`wrangler d1 execute --remote --file\``,
    };
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(folder, name), "utf8");
    } catch {
      continue;
    }
    const line = executeCommentLine(text, name);
    if (line === undefined || /--local\b/.test(text.split("\n")[line - 1] ?? "")) continue;
    return {
      file: join(folder, name),
      line,
      how: `${name}:${line} tells operators to run migrations by hand with \`wrangler d1 execute --file\``,
    };
  }
  return undefined;
}
