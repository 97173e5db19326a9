import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FolderHit } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/journal-order",
  severity: "error",
  summary: "drizzle's meta/_journal.json orders migrations differently from wrangler",
};

interface JournalEntry {
  idx: number;
  tag: string;
}

function readJournal(path: string): JournalEntry[] | undefined {
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { entries?: unknown };
    if (!Array.isArray(doc.entries)) return undefined;
    return doc.entries
      .filter((e): e is JournalEntry => typeof e?.tag === "string" && typeof e?.idx === "number")
      .sort((a, b) => a.idx - b.idx);
  } catch {
    return undefined;
  }
}

/** drizzle applies in journal order, wrangler by file name: the first file where the two disagree. */
export default defineRule({
  meta,
  checkFolder({ dir, names }) {
    const path = join(dir.dir, "meta", "_journal.json");
    if (!existsSync(path)) return [];
    const journal = readJournal(path);
    if (!journal) return [];
    const onDisk = new Set(names.map((n) => n.replace(/\.sql$/, "")));
    const journalOrder = journal.map((e) => e.tag).filter((t) => onDisk.has(t));
    const inJournal = new Set(journalOrder);
    const fileOrder = names.map((n) => n.replace(/\.sql$/, "")).filter((t) => inJournal.has(t));
    const at = fileOrder.findIndex((t, i) => journalOrder[i] !== t);
    if (at < 0) return [];
    const tag = fileOrder[at] ?? "";
    const expected = journalOrder[at] ?? "";
    const hit: FolderHit = {
      name: `${tag}.sql`,
      line: 1,
      message: `wrangler applies ${tag}.sql where meta/_journal.json lists ${expected}: a database migrated with \`wrangler d1 migrations apply\` and one migrated by drizzle-kit run the history in different orders`,
      fix: `rename the files so that their names sort in journal order (the journal's idx), e.g. give ${expected}.sql a number below ${tag}.sql's, before either is applied anywhere; if both shipped, keep one tool for every database`,
      data: { journal: path, expected, found: tag },
    };
    return [hit];
  },
});
