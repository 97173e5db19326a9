import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { listSources } from "../code/files.js";
import { MAX_SOURCE_BYTES } from "../code/source.js";

/** Whether the code of the Workers bound to a migrations folder names a table or column at all. */
export interface CodeMentions {
  /** True when any source file of those Workers contains `name` as a whole word (any case). */
  mentions(name: string): boolean;
  /** The Workers' config files, relative to the project, for messages. */
  workers: string[];
}

export interface CodeMentionsOptions {
  /** The configs whose D1 bindings use the folder. */
  configs: readonly WranglerConfig[];
  /** Turns an absolute config path into the one messages show. */
  label: (path: string) => string;
}

/** Source files of one Worker, or undefined when its code cannot be read (then nothing can be said about it). */
function sourcesOf(config: WranglerConfig): string[] | undefined {
  if (!config.main) return undefined;
  const main = resolve(dirname(config.path), config.main);
  if (!existsSync(main)) return undefined;
  const files = listSources(dirname(main));
  return files.includes(main) ? files : [...files, main];
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
export function codeMentionsFor({ configs, label }: CodeMentionsOptions): CodeMentions | undefined {
  if (configs.length === 0) return undefined;
  const paths = new Set<string>();
  for (const c of configs) {
    const files = sourcesOf(c);
    if (!files) return undefined;
    for (const f of files) paths.add(f);
  }
  let text: string | undefined;
  const answers = new Map<string, boolean>();
  return {
    workers: configs.map((c) => label(c.path)),
    mentions(name) {
      const key = name.toLowerCase();
      const known = answers.get(key);
      if (known !== undefined) return known;
      text ??= [...paths].map(readSmall).join("\n").toLowerCase();
      const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const found = new RegExp(`(^|[^\\w$])${escaped}($|[^\\w$])`).test(text);
      answers.set(key, found);
      return found;
    },
  };
}

export interface RunningVersionOptions {
  /**
   * Other names whose mention keeps the claim: for a rename, the new name. The code read is the version being
   * deployed, which names the new name precisely when the version still running names the old one.
   */
  alsoNamed?: readonly string[];
}

/**
 * The clause rules put where they used to say "the running version's queries fail": unchanged when the code
 * names `name` or cannot be read, and a plain statement (with a lower severity) when no bound Worker names it.
 *
 * @example
 * runningVersion(code, "legacy_notes", "queries on it fail"); // { unused: true, clause: "no Worker code … names legacy_notes" }
 */
export function runningVersion(
  code: CodeMentions | undefined,
  name: string,
  failure: string,
  { alsoNamed = [] }: RunningVersionOptions = {},
): { unused: boolean; clause: string } {
  if (!code || [name, ...alsoNamed].some((n) => code.mentions(n)))
    return { unused: false, clause: `the running version's ${failure}` };
  return {
    unused: true,
    clause: `no code of the Workers bound to it (${code.workers.join(", ")}) names ${name}, so the running version is not expected to query it`,
  };
}
