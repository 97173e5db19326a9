import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type D1Command, d1Commands } from "./order-apply-scripts.js";

/** A `wrangler d1 …` command written in a project's docs, for operators to copy. */
export interface DocCommand extends D1Command {
  /** The markdown file, absolute. */
  doc: string;
  /** Its line (the first line of a command continued with `\`). */
  line: number;
}

/** Folders that hold a project's operating docs; dependencies and build output are not read. */
const DOC_DIRS = new Set(["docs", "doc", "documentation", "guides", "setup"]);
const SKIP = new Set(["node_modules", ".git", "dist", "build", ".wrangler", ".next", "coverage"]);
/** Markdown files read at most, and their size: a docs site is not a runbook. */
const MAX_DOCS = 200;
const MAX_BYTES = 512 * 1024;

/** The markdown files at `root` and in its docs folders (`depth` levels down). */
function docFiles(root: string, depth: number): string[] {
  const out: string[] = [];
  const walk = (dir: string, level: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= MAX_DOCS) return;
      if (e.isFile() && /\.mdx?$/i.test(e.name)) out.push(join(dir, e.name));
      else if (
        e.isDirectory() &&
        !SKIP.has(e.name) &&
        (level > 0 || DOC_DIRS.has(e.name.toLowerCase())) &&
        level < depth
      )
        walk(join(dir, e.name), level + 1);
    }
  };
  walk(root, 0);
  return out;
}

export interface DocCommandsOptions {
  /** How many folders below a docs folder are read: 2 reads `docs/guides/x.md`, 3 also `docs/plans/2026/x.md`. */
  depth?: number;
}

/**
 * The `wrangler d1 …` commands a project's markdown (README, docs/) tells operators to run, lines continued with `\`
 * joined, each read as if run from `root`.
 *
 * @example
 * docCommands("/repo"); // [{ doc: "/repo/README.md", line: 68, sub: "execute", database: "forum-db", files: ["/repo/schema.sql"], remote: false, local: false }]
 */
export function docCommands(root: string, { depth = 2 }: DocCommandsOptions = {}): DocCommand[] {
  const out: DocCommand[] = [];
  for (const doc of docFiles(root, depth)) {
    let text: string;
    try {
      text = readFileSync(doc, "utf8");
    } catch {
      continue;
    }
    if (text.length > MAX_BYTES || !/wrangler\s+d1\b/.test(text)) continue;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      // A heading or a commented-out line is no instruction.
      if (!/wrangler\s+d1\b/.test(lines[i] ?? "") || /^\s*#/.test(lines[i] ?? "")) continue;
      let command = lines[i] ?? "";
      let last = i;
      while (/\\\s*$/.test(command) && last + 1 < lines.length)
        command = `${command.replace(/\\\s*$/, " ")}${lines[++last]}`;
      // Inline code and prompts: `$ npx wrangler d1 …` or `` `wrangler d1 …` ``.
      const shell = command.replace(/`/g, " ").replace(/^\s*[$>]\s+/, "");
      for (const c of d1Commands(shell, root)) out.push({ ...c, doc, line: i + 1 });
      i = last;
    }
  }
  return out;
}
