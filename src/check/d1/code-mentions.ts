import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { isSourcePath, listSources } from "../code/files.js";
import { MAX_SOURCE_BYTES } from "../code/source.js";
import { createPathsResolver } from "../code/tsconfig-paths.js";
import { textsAtRef } from "../config/git-base.js";
import { type CodeQuery, queriesIn, tablesCreatedIn } from "./code-queries.js";
import { reachedFrom, readsWholeCode } from "./code-reach.js";
import { commentedOut, lineAt, TOOLING } from "./code-text.js";
import { workerEntries } from "./worker-entries.js";

/** Whether the code of the Workers bound to a migrations folder names a table or column at all. */
export interface CodeMentions {
  /**
   * True when any source file of those Workers contains `name` as a whole word (any case); with `table`, a file
   * that also names the table (a column's name alone may belong to another table's query). With `scope`
   * "deployed", only files the Worker's entries import count (no tooling): for a claim that a query would run;
   * "table" also asks that the table (`name`, or `table` when given) be named as one there (`tableReference`),
   * so a word in the page's text is no use of it.
   */
  mentions(name: string, table?: string, scope?: MentionScope): boolean;
  /** The Workers' config files, relative to the project, for messages. */
  workers: string[];
  /**
   * The `--base` git ref the code was read at: the version running now. Without it the code is the working tree,
   * the version about to be deployed, which may already have stopped naming what the running version queries.
   */
  at?: string;
  /**
   * Whether the files read are all of those Workers' code: no import leaves the folders read (a workspace package,
   * a path alias, `../shared`). Only then does "no source file names x" mean "no code does". Answered on first call.
   */
  wholeCode(): boolean;
  /**
   * Array literals of two or more strings (`["13line", "15line_madani"]`), and unions of string literal types
   * (`type Role = "admin" | "editor"`), in the files that name both `table` and
   * `column`: the value sets code checks or writes, for rules that compare them with a CHECK.
   */
  stringLists(table: string, column: string): CodeList[];
  /**
   * The `ALTER TABLE t ADD [COLUMN] c` statements written out in the Workers' code (a runtime self-migration),
   * outside comments: columns the running code adds to the database itself. Read on first call.
   */
  columnAdds(): CodeColumnAdd[];
  /**
   * The first `DELETE FROM <table>` written out in the Workers' code (outside comments and tooling files) that is not the first
   * statement of a `try` (code that expects it to fail) and, with `clearedBy`, not preceded in its file, within
   * 60 lines, by a `DELETE FROM <clearedBy>`. Undefined when there is none.
   */
  deletesFrom(table: string, clearedBy?: string): CodePlace | undefined;
  /**
   * Whether the deployed code writes rows into `table` by name: `INSERT INTO`, `REPLACE INTO` or `UPDATE` of it
   * anywhere in its text (a statement built by interpolation counts when it names the table).
   */
  writesTo(table: string): boolean;
  /**
   * Whether the deployed code hands `table` to a query builder by name, through which it may write without SQL text:
   * an ORM's table (`sqliteTable("t", …)`) or a builder's `insertInto("t")`, `updateTable("t")`, `replaceInto("t")`.
   */
  buildsOn(table: string): boolean;
  /**
   * The SQL statements the Workers' code passes to D1 as written (a literal given to `.prepare(`, blastwall's `sql`
   * tag), outside comments and tooling files, and the tables the same code creates itself. Read on first call.
   */
  queries(): { queries: CodeQuery[]; createdTables: ReadonlySet<string> };
  /** The text of one source file read, by the name messages show (for its `blastwall-ignore` comments). */
  textOf(file: string): string | undefined;
}

/** Which files `mentions` reads: all the Workers' sources, those the entries import, or their table names (see `mentions`). */
export type MentionScope = "any" | "deployed" | "table";

/** A place in the Workers' code. */
export interface CodePlace {
  /** The file, as messages show it. */
  file: string;
  line: number;
}

/** A column the Workers' code adds at runtime. */
export interface CodeColumnAdd extends CodePlace {
  table: string;
  column: string;
}

/** A list of string literals in the Workers' code. */
export interface CodeList {
  /** The file, as messages show it. */
  file: string;
  line: number;
  values: string[];
}

export interface CodeMentionsOptions {
  /** The configs whose D1 bindings use the folder. */
  configs: readonly WranglerConfig[];
  /** Turns an absolute config path into the one messages show. */
  label: (path: string) => string;
  /** `--base`: read each Worker's source folder at this git ref (the running version) instead of the disk. */
  base?: string;
  /** The project's folder: package.json files from a Worker up to it say which imports are registry packages. */
  root?: string;
}

/**
 * The folder whose sources are a Worker's code: that of its `main`; for a Pages project (`pages_build_output_dir`,
 * no `main`) the config's own folder when it has a `functions/` folder, since Functions import from across the
 * project (`../server/…`), or a `src/` folder that a build turns into the output's `_worker.js` (Hono's and
 * others' Vite plugins for Pages). Undefined when there is no code to read.
 */
function codeFolder(config: WranglerConfig): string | undefined {
  const dir = dirname(config.path);
  if (config.main) return dirname(resolve(dir, config.main));
  const pages = typeof config.raw.pages_build_output_dir === "string";
  return pages && (existsSync(resolve(dir, "functions")) || existsSync(resolve(dir, "src"))) ? dir : undefined;
}

/** Source files of one Worker, or undefined when its code cannot be read (then nothing can be said about it). */
function sourcesOf(config: WranglerConfig): string[] | undefined {
  const folder = codeFolder(config);
  if (!folder) return undefined;
  if (!config.main) return listSources(folder);
  const main = resolve(dirname(config.path), config.main);
  if (!existsSync(main)) return undefined;
  const files = listSources(folder);
  return files.includes(main) ? files : [...files, main];
}

/** Whether a file's code runs in the Worker: an entry imports it, and it is not tooling (scripts, tests, seeds). */
function runs(f: Source, label: (path: string) => string): boolean {
  return f.deployed !== false && !TOOLING.test(label(f.path));
}

function readSmall(path: string): string {
  try {
    return statSync(path).size > MAX_SOURCE_BYTES ? "" : readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * The same source files the code analyzer reads (the folder of each Worker's `main`), searched as text: a name
 * that appears nowhere cannot be in the running version's queries. Undefined when any bound Worker's code cannot
 * be read, so rules keep saying what they said before. Files are read on the first question only.
 *
 * @example
 * codeMentionsFor({ configs: project.workers, label: (p) => p })?.mentions("legacy_notes"); // false
 */
export function codeMentionsFor({ configs, label, base, root }: CodeMentionsOptions): CodeMentions | undefined {
  if (configs.length === 0) return undefined;
  const read = base === undefined ? readDisk(configs) : readAtRef(configs, base);
  if (!read) return undefined;
  let files: Source[] | undefined;
  const sources = (): Source[] => {
    files ??= read();
    return files;
  };
  let lower: string[] | undefined;
  let whole: boolean | undefined;
  let adds: CodeColumnAdd[] | undefined;
  const answers = new Map<string, boolean>();
  const deletes = new Map<string, CodePlace | undefined>();
  let statements: { queries: CodeQuery[]; createdTables: ReadonlySet<string> } | undefined;
  return {
    workers: configs.map((c) => label(c.path)),
    ...(base === undefined ? {} : { at: base }),
    wholeCode() {
      const all = sources();
      // Only the imports of code that runs matter: a tooling script or an unimported draft may load anything.
      whole ??= [...new Set(all.map((f) => f.folder))].every((folder) =>
        readsWholeCode(
          folder,
          all.filter((f) => f.folder === folder && runs(f, label)),
          root ?? folder,
        ),
      );
      return whole;
    },
    stringLists(table, column) {
      const all = sources();
      lower ??= all.map((f) => f.text.toLowerCase());
      const text = lower;
      return all.flatMap((f, i) =>
        wholeWord(text[i] ?? "", table) && wholeWord(text[i] ?? "", column) ? listsIn(f.text, label(f.path)) : [],
      );
    },
    columnAdds() {
      adds ??= sources().flatMap((f) => (runs(f, label) ? columnAddsIn(f.text, label(f.path)) : []));
      return adds;
    },
    deletesFrom(table, clearedBy) {
      const key = `${table}\0${clearedBy ?? ""}`.toLowerCase();
      if (deletes.has(key)) return deletes.get(key);
      const found = firstDelete(sources(), label, table, clearedBy);
      deletes.set(key, found);
      return found;
    },
    writesTo: (table) => writesInto(sources(), label, table),
    buildsOn: (table) => builtOn(sources(), label, table),
    queries() {
      // Only what is deployed runs: a file the entry never imports (an old entry, a draft) queries nothing.
      const run = sources().filter((f) => runs(f, label));
      statements ??= {
        queries: run.flatMap((f) => queriesIn(f.text, label(f.path))),
        createdTables: new Set(run.flatMap((f) => tablesCreatedIn(f.text))),
      };
      return statements;
    },
    textOf(file) {
      return sources().find((f) => label(f.path) === file)?.text;
    },
    mentions(name, table, scope = "any") {
      const key = `${name}\0${table ?? ""}\0${scope}`.toLowerCase();
      const known = answers.get(key);
      if (known !== undefined) return known;
      const all = sources();
      lower ??= all.map((f) => f.text.toLowerCase());
      const found = mentionedIn({ files: all, lower, label }, name, table, scope);
      answers.set(key, found);
      return found;
    },
  };
}

/** Whether a file in `scope` names `name` (and `table`) as `mentions` describes. */
function mentionedIn(
  read: { files: readonly Source[]; lower: readonly string[]; label: (path: string) => string },
  name: string,
  table: string | undefined,
  scope: MentionScope,
): boolean {
  const named = scope === "table" ? tableReference(table ?? name) : undefined;
  return read.files.some((f, i) => {
    const t = read.lower[i] ?? "";
    if (scope !== "any" && !runs(f, read.label)) return false;
    return wholeWord(t, name) && (table === undefined || wholeWord(t, table)) && (!named || named.test(t));
  });
}

/**
 * `table` where code names a table: after FROM, JOIN, INTO, UPDATE or [CREATE] TABLE [IF NOT EXISTS] in SQL, or as
 * a whole string literal (an ORM's `sqliteTable("sessions", …)`, an adapter's `{ session: "sessions" }`).
 */
function tableReference(table: string): RegExp {
  const name = escapeRegExp(table.toLowerCase());
  return new RegExp(
    `\\b(?:from|join|into|update|table(?:\\s+if\\s+not\\s+exists)?)\\s+\\\\?["'\`[]?${name}(?![\\w$])|["'\`]${name}["'\`]`,
  );
}

/**
 * Whether deployed code (not tooling) writes into `table` by name: INSERT / REPLACE INTO or UPDATE of it, where a
 * statement starts (`statementStart`), so that a message such as "…saved with UPDATE contratti" is no write.
 */
function writesInto(files: readonly Source[], label: (path: string) => string, table: string): boolean {
  const write = new RegExp(
    `\\b(?:(?:insert|replace)(?:\\s+or\\s+\\w+)?\\s+into|update(?:\\s+or\\s+\\w+)?)\\s+\\\\?["'\`[]?${escapeRegExp(table)}(?![\\w$])`,
    "gi",
  );
  return files.some((f) => runs(f, label) && [...f.text.matchAll(write)].some((m) => statementStart(f.text, m.index)));
}

/** Whether deployed code (not tooling) hands `table` to a query builder by name (see `CodeMentions.buildsOn`). */
function builtOn(files: readonly Source[], label: (path: string) => string, table: string): boolean {
  const builder = new RegExp(
    `(?:table|insertinto|updatetable|replaceinto)\\s*\\(\\s*["'\`]${escapeRegExp(table)}["'\`]`,
    "i",
  );
  return files.some((f) => runs(f, label) && builder.test(f.text));
}

/**
 * Whether a SQL keyword at `at` begins a statement: first in its string or line, or after `;`, `(` or `)` (a CTE's
 * body) — not a word inside prose.
 */
function statementStart(text: string, at: number): boolean {
  const before = /(\S?)(\s*)$/.exec(text.slice(Math.max(0, at - 200), at));
  const last = before?.[1] ?? "";
  return last === "" || /["'`;()]/.test(last) || (before?.[2] ?? "").includes("\n");
}

/** The first `DELETE FROM <table>` of the Workers' files (not tooling) that no `try` catches and no nearby clearing precedes. */
function firstDelete(
  files: readonly Source[],
  label: (path: string) => string,
  table: string,
  clearedBy: string | undefined,
): CodePlace | undefined {
  for (const f of files) {
    if (!runs(f, label)) continue;
    const at = deleteSites(f.text, table).find(
      (i) => !inTry(f.text, i) && !(clearedBy && deleteSites(window(f.text, i, 60), clearedBy).length > 0),
    );
    if (at !== undefined) return { file: label(f.path), line: lineAt(f.text, at) };
  }
  return undefined;
}

/** `[ "a", 'b', … ]` holding only string literals (no escapes, no interpolation), two or more. */
const STRING_LIST = /\[\s*((?:"[^"\\\n]*"|'[^'\\\n]*')(?:\s*,\s*(?:"[^"\\\n]*"|'[^'\\\n]*'))+)\s*,?\s*\]/g;

/** `"a" | "b" | …`: a TypeScript union of two or more string literals (a column's type: `role: "admin" | "user"`). */
const STRING_UNION = /((?:"[^"\\\n]*"|'[^'\\\n]*')(?:\s*\|\s*(?:"[^"\\\n]*"|'[^'\\\n]*'))+)/g;

function listsIn(text: string, file: string): CodeList[] {
  return [...text.matchAll(STRING_LIST), ...text.matchAll(STRING_UNION)].map((m) => ({
    file,
    line: text.slice(0, m.index).split("\n").length,
    values: [...(m[1] ?? "").matchAll(/"([^"]*)"|'([^']*)'/g)].map((v) => v[1] ?? v[2] ?? ""),
  }));
}

/** `ALTER TABLE "t" ADD [COLUMN] "c"`, names bare or quoted with `"` (escaped too, inside a string), `` ` `` or `[]`. */
const COLUMN_ADD = /\bALTER\s+TABLE\s+\\?["`[]?(\w+)\\?["`\]]?\s+ADD\s+(?:COLUMN\s+)?\\?["`[]?(\w+)\\?["`\]]?/gi;

function columnAddsIn(text: string, file: string): CodeColumnAdd[] {
  return [...text.matchAll(COLUMN_ADD)].flatMap((m) => {
    const [, table = "", column = ""] = m;
    if (commentedOut(text, m.index) || /^(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK)$/i.test(column)) return [];
    return [{ file, line: lineAt(text, m.index), table, column }];
  });
}

/** Offsets of `DELETE FROM <table>` in `text`, names bare or quoted, outside comments. */
function deleteSites(text: string, table: string): number[] {
  const pattern = new RegExp(`\\bDELETE\\s+FROM\\s+\\\\?["\`[]?${escapeRegExp(table)}(?![\\w$])`, "gi");
  return [...text.matchAll(pattern)].flatMap((m) => (commentedOut(text, m.index) ? [] : [m.index]));
}

/** The `lines` lines of `text` before `index` (the last one up to `index`), found by walking back from it. */
function window(text: string, index: number, lines: number): string {
  let start = index;
  for (let n = 0; n < lines && start > 0; n++) start = text.lastIndexOf("\n", start - 1);
  return text.slice(Math.max(0, start + 1), index);
}

/** Whether the statement at `index` opens a `try` block (`try {` on one of the 3 lines before it, or its own). */
function inTry(text: string, index: number): boolean {
  return /\btry\s*\{[^{}]*$/.test(window(text, index, 3));
}
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether lower-case `text` holds `name` as a whole word (`$` and `_` count as word characters). */
export function wholeWord(text: string, name: string): boolean {
  const escaped = escapeRegExp(name.toLowerCase());
  return new RegExp(`(^|[^\\w$])${escaped}($|[^\\w$])`).test(text);
}

/** One source file read: its path (or, at a git ref, a stand-in directly in its folder) and text. */
interface Source {
  folder: string;
  path: string;
  text: string;
  /** False for a file the Worker's `main` never imports (an old entry, a draft): it is not deployed. */
  deployed?: boolean;
}

/** The Workers' source files on disk, read on first use; undefined when any Worker's code cannot be read. */
function readDisk(configs: readonly WranglerConfig[]): (() => Source[]) | undefined {
  const paths = new Map<string, string>();
  for (const c of configs) {
    const files = sourcesOf(c);
    const folder = codeFolder(c);
    if (!files || !folder) return undefined;
    for (const f of files) if (!paths.has(f)) paths.set(f, folder);
  }
  return () => {
    const sources = [...paths].map(([path, folder]) => ({ folder, path, text: readSmall(path) }));
    // A file counts as deployed when some Worker's entry imports it, or when a Worker's imports cannot be followed.
    const viaPaths = createPathsResolver();
    const reached = new Set<string>();
    const whole = new Set<string>();
    for (const c of configs) {
      const folder = codeFolder(c) ?? "";
      const entries = workerEntries(c);
      const got = entries ? reachedFrom({ entries, files: sources, viaPaths }) : undefined;
      if (got) for (const f of got) reached.add(f);
      else whole.add(folder);
    }
    const underWhole = (path: string) => [...whole].some((d) => resolve(path).startsWith(resolve(d) + sep));
    return sources.map((f) => ({ ...f, deployed: reached.has(resolve(f.path)) || underWhole(f.path) }));
  };
}

/**
 * The same folders' source text at a git ref; undefined when any of them is not there (a Worker new since). Paths
 * are not kept, so each text stands directly in its folder: a `../` import counts as leaving it.
 */
function readAtRef(configs: readonly WranglerConfig[], ref: string): (() => Source[]) | undefined {
  const out: Source[] = [];
  for (const c of configs) {
    const folder = codeFolder(c);
    if (!folder) return undefined;
    const got = existsSync(folder) ? textsAtRef(folder, ref, isSourcePath) : undefined;
    if (!got) return undefined;
    for (const text of got)
      if (text.length <= MAX_SOURCE_BYTES) out.push({ folder, path: resolve(folder, "index.ts"), text });
  }
  return () => out;
}

export interface RunningVersionOptions {
  /**
   * Other names whose mention keeps the claim: for a rename, the new name. The code read is the version being
   * deployed, which names the new name precisely when the version still running names the old one.
   */
  alsoNamed?: readonly string[];
  /** The column's table: a mention counts only in a file that names it too. */
  table?: string;
}

/**
 * The clause rules put where they used to say "the running version's queries fail": asserted only when the code read
 * at --base names `name`; hedged when only the code about to be deployed names it or no code can be read; and a
 * plain statement (with a lower severity) when no bound Worker names it.
 *
 * @example
 * runningVersion(code, "legacy_notes", "queries on it fail"); // { unused: true, clause: "the code about to be deployed … does not name legacy_notes; …" }
 */
export function runningVersion(
  code: CodeMentions | undefined,
  name: string,
  failure: string,
  { alsoNamed = [], table }: RunningVersionOptions = {},
): { unused: boolean; clause: string } {
  // Code read at --base is the running version itself: only the name it queries counts.
  const names = code?.at === undefined ? [name, ...alsoNamed] : [name];
  // Only the code at --base shows what the running version queries; anything else keeps the claim but hedges it.
  if (!code)
    return {
      unused: false,
      clause: `if the version running now names ${name}, its ${failure} (its Workers' code could not be read)`,
    };
  const found = names.find((n) => code.mentions(n, table));
  if (found !== undefined)
    return {
      unused: false,
      clause:
        code.at === undefined
          ? `the code about to be deployed names ${found}, so the version running now likely ${found === name ? "does too" : `still names ${name}`}, and its ${failure} (pass \`--base <git ref>\` to read the running version's code)`
          : `the running version's ${failure}`,
    };
  const workers = code.workers.join(", ");
  return {
    unused: true,
    clause:
      code.at === undefined
        ? `the code about to be deployed (${workers}) does not name ${name}, but the version running now may still query it (pass \`--base <git ref>\` to read the running version's code)`
        : `the running version's code (${workers} at ${code.at}) does not name ${name}, so it is not expected to query it`,
  };
}
