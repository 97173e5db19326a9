import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The file names wrangler looks for, in each folder from the working directory up, when no `-c` is given. */
const DEFAULT_CONFIGS = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

function findConfigUp(from: string): string | undefined {
  let at = resolve(from);
  for (;;) {
    for (const n of DEFAULT_CONFIGS) if (existsSync(join(at, n))) return join(at, n);
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/** One package.json script: its name, its command line, and the line it sits on. */
export interface PackageScript {
  pkg: string;
  /** The package's folder, where the script runs. */
  dir: string;
  name: string;
  script: string;
  line: number;
}

/** One package.json on the way up: where it is, its text and its parsed object (undefined when it does not parse). */
export interface PackageUp {
  pkg: string;
  dir: string;
  text: string;
  json: Record<string, unknown> | undefined;
}

/**
 * Every package.json from `from` up to the repository root (a `.git` folder, a workspaces root or a pnpm workspace),
 * nearest first, each read once.
 */
export function packagesUp(from: string): PackageUp[] {
  const out: PackageUp[] = [];
  let at = resolve(from);
  for (;;) {
    const pkg = join(at, "package.json");
    const text = existsSync(pkg) ? readFileSync(pkg, "utf8") : "";
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      json = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    if (text) out.push({ pkg, dir: at, text, json });
    const up = dirname(at);
    const root =
      /"workspaces"\s*:/.test(text) || existsSync(join(at, ".git")) || existsSync(join(at, "pnpm-workspace.yaml"));
    if (up === at || root) break;
    at = up;
  }
  return out;
}

/** The scripts of every package.json from `from` up to the repository root (`packagesUp`). */
export function packageScriptsUp(from: string): PackageScript[] {
  return packagesUp(from).flatMap(({ pkg, dir, text, json }) => {
    const scripts = json?.scripts;
    return Object.entries(scripts && typeof scripts === "object" ? scripts : {}).flatMap(([name, script]) => {
      if (typeof script !== "string") return [];
      const offset = text.indexOf(JSON.stringify(name));
      const line = offset < 0 ? 1 : text.slice(0, offset).split("\n").length;
      return [{ pkg, dir, name, script, line }];
    });
  });
}

/** Each command of a script as its words, with the folder it runs in (following `cd` between commands). */
function commandsOf(script: string, cwd: string): { words: string[]; at: string }[] {
  const out: { words: string[]; at: string }[] = [];
  let at = cwd;
  for (const command of script.split(/&&|\|\||;|\|/)) {
    const words = command.trim().split(/\s+/);
    if (words[0] === "cd" && words[1]) at = resolve(at, words[1]);
    else out.push({ words, at });
  }
  return out;
}

/** Flags of `wrangler d1` commands that take a value, so the word after them is no database name. */
const VALUE_FLAGS = new Set([
  ...["-c", "--config", "-e", "--env", "--file", "--command", "--persist-to", "--output", "--table", "--timestamp"],
  ...["--bookmark", "--batch-size", "--location", "--jurisdiction", "--experimental-json-config"],
]);

/** One `wrangler d1 <subcommand> [database]` command of a script. */
export interface D1Command {
  /** The subcommand, `migrations apply` or `execute` and so on. */
  sub: string;
  /** The config it uses (absolute), when one is found. */
  config?: string;
  /** The database argument as written. */
  database?: string;
  /** `--env <name>`: wrangler then reads that environment's `d1_databases` only. */
  env?: string;
  remote: boolean;
  local: boolean;
  /** The `--file` arguments, absolute. */
  files: string[];
}

/**
 * Every `wrangler d1 …` command of a script or shell line run in `cwd`, with its database, config, environment and
 * flags.
 *
 * @example
 * d1Commands("cd api && wrangler d1 execute shop --remote --file=seed.sql", "/repo")[0]?.files; // ["/repo/api/seed.sql"]
 */
export function d1Commands(script: string, cwd: string): D1Command[] {
  const out: D1Command[] = [];
  for (const { words, at } of commandsOf(script, cwd)) {
    const w = words.indexOf("wrangler");
    if (w < 0 || words[w + 1] !== "d1" || !words[w + 2]) continue;
    const subWords = words[w + 2] === "migrations" || words[w + 2] === "time-travel" ? 2 : 1;
    const sub = words.slice(w + 2, w + 2 + subWords).join(" ");
    const unquote = (v: string) => v.replace(/^["']|["']$/g, "");
    const flag = (names: string[]) => {
      for (let i = w; i < words.length; i++) {
        const word = words[i] ?? "";
        const eq = names.map((n) => (word.startsWith(`${n}=`) ? word.slice(n.length + 1) : undefined)).find(Boolean);
        if (eq) return unquote(eq);
        if (names.includes(word) && words[i + 1]) return unquote(words[i + 1] ?? "");
      }
      return undefined;
    };
    const config = flag(["-c", "--config"]);
    const env = flag(["-e", "--env"]);
    const path = config ? resolve(at, config) : findConfigUp(at);
    let database: string | undefined;
    for (let i = w + 2 + subWords; i < words.length && database === undefined; i++) {
      const word = words[i] ?? "";
      if (VALUE_FLAGS.has(word)) i++;
      else if (word && !word.startsWith("-")) database = unquote(word);
    }
    const files: string[] = [];
    words.forEach((word, i) => {
      const file = /^--file=(.+)$/.exec(word)?.[1] ?? (word === "--file" ? words[i + 1] : undefined);
      if (file) files.push(resolve(at, unquote(file)));
    });
    out.push({
      sub,
      ...(path ? { config: path } : {}),
      ...(database ? { database } : {}),
      ...(env ? { env } : {}),
      // `--preview` runs on the binding's remote preview database.
      remote: words.includes("--remote") || words.includes("--preview"),
      local: words.includes("--local"),
      files,
    });
  }
  return out;
}

/** A package.json script's `wrangler d1 migrations apply` command, with where the script is. */
export interface ApplyScript extends D1Command {
  pkg: string;
  script: string;
  line: number;
}

/**
 * Every `wrangler d1 migrations apply` that package.json scripts run, from `from` up to the repository root
 * (`packageScriptsUp`), with its config, database argument and `--remote`/`--local` flags.
 *
 * @example
 * applyScripts("/repo"); // [{ pkg: "/repo/package.json", script: "db:migrate:prod", line: 12, config: "/repo/wrangler.jsonc", database: "shop", remote: false, local: false }]
 */
export function applyScripts(from: string): ApplyScript[] {
  return d1Scripts(from).filter((c) => c.sub === "migrations apply");
}

/**
 * The wrangler configs (absolute paths) that package.json scripts apply D1 migrations with
 * (`wrangler d1 migrations apply <db> -c worker/wrangler.toml`, or the config wrangler finds from the script's folder),
 * reading every package.json from `from` up to the repository root (a `.git` folder or a workspaces root).
 *
 * @example
 * configsApplyingMigrations("/repo/worker"); // Set { "/repo/worker/wrangler.toml" }
 */
export function configsApplyingMigrations(from: string): Set<string> {
  return new Set(applyScripts(from).flatMap((c) => c.config ?? []));
}

/** A package.json script that runs one SQL file with `wrangler d1 execute --file`. */
export interface ExecutedFile {
  /** The package.json, absolute. */
  pkg: string;
  /** The script's name and its line in the package.json. */
  script: string;
  line: number;
  /** The SQL file, absolute. */
  file: string;
  /** `--local` (the dev database only). */
  local: boolean;
  /** `--remote`; without either flag wrangler 3.33+ runs on the local database. */
  remote: boolean;
}

/**
 * The SQL files package.json scripts run with `wrangler d1 execute --file`, reading every package.json from `from`
 * up to the repository root (`packageScriptsUp`).
 *
 * @example
 * filesExecutedByScripts("/repo"); // [{ pkg: "/repo/package.json", script: "db:migrate:prod", line: 21, file: "/repo/migrations/0000_init.sql", local: false, remote: true }]
 */
export function filesExecutedByScripts(from: string): ExecutedFile[] {
  return d1Scripts(from)
    .filter((c) => c.sub === "execute")
    .flatMap(({ pkg, script, line, files, local, remote }) =>
      files.map((file) => ({ pkg, script, line, file, local, remote })),
    );
}

/** A package.json script's `wrangler d1` command, with where the script is. */
export interface D1Script extends D1Command {
  pkg: string;
  script: string;
  line: number;
}

/**
 * Every `wrangler d1 …` command that package.json scripts run, from `from` up to the repository root
 * (`packageScriptsUp`).
 *
 * @example
 * d1Scripts("/repo"); // [{ pkg: "/repo/package.json", script: "db:console:prod", line: 20, sub: "execute", database: "shop", remote: true, local: false, files: [], config: "/repo/wrangler.toml" }]
 */
export function d1Scripts(from: string): D1Script[] {
  return packageScriptsUp(from).flatMap(({ pkg, dir, name, line, script }) =>
    d1Commands(script, dir).map((c) => ({ pkg, script: name, line, ...c })),
  );
}
