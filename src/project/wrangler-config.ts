import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import { BlastwallError } from "../core/errors.js";

export type ConfigFormat = "toml" | "json" | "jsonc";

export interface D1Binding {
  binding: string;
  database_name?: string;
  database_id?: string;
  migrations_dir?: string;
  migrations_table?: string;
  /** wrangler 4.98+: a glob of migration files, relative to the config and under migrations_dir. */
  migrations_pattern?: string;
}
export interface KvBinding {
  binding: string;
  id?: string;
}
export interface R2Binding {
  binding: string;
  bucket_name?: string;
}
export interface DurableObjectBinding {
  name: string;
  class_name: string;
  script_name?: string;
}
export interface DurableObjectMigration {
  tag: unknown;
  new_classes?: string[];
  new_sqlite_classes?: string[];
  renamed_classes?: { from: string; to: string }[];
  deleted_classes?: string[];
  transferred_classes?: { from: string; from_script: string; to: string }[];
}
export interface QueueProducer {
  binding: string;
  queue: string;
  delivery_delay?: number;
}
export interface QueueConsumer {
  queue: string;
  type?: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  dead_letter_queue?: string;
  retry_delay?: number;
  max_concurrency?: number;
}
export interface AnalyticsEngineBinding {
  binding: string;
  dataset?: string;
}

/** The parts of a wrangler config (top level or one `env.<name>` section) that blastwall reads. */
export interface WorkerSettings {
  name?: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags: string[];
  d1_databases: D1Binding[];
  kv_namespaces: KvBinding[];
  r2_buckets: R2Binding[];
  durable_objects: { bindings: DurableObjectBinding[] };
  migrations: DurableObjectMigration[];
  queues: { producers: QueueProducer[]; consumers: QueueConsumer[] };
  analytics_engine_datasets: AnalyticsEngineBinding[];
  vars: Record<string, unknown>;
  version_metadata?: { binding: string };
  triggers?: { crons?: string[] };
}

export interface WranglerConfig extends WorkerSettings {
  /** Absolute path of the config file. */
  path: string;
  format: ConfigFormat;
  /** The file's text, kept for code frames. */
  text: string;
  /** The parsed document as written, for rules that look beyond the typed model. */
  raw: Record<string, unknown>;
  env: Record<string, WorkerSettings>;
  /** 1-based line and column of a key path such as ["queues", "consumers", 0, "dead_letter_queue"], when found. */
  locate(path: (string | number)[]): { line: number; column: number } | undefined;
}

export const CONFIG_FILE_NAMES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"] as const;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
}

/** Reads one section into the typed model. Unknown shapes become empty lists, never exceptions: rules report them. */
export function readSettings(doc: Record<string, unknown>): WorkerSettings {
  const dobj = isRecord(doc.durable_objects) ? doc.durable_objects : {};
  const queues = isRecord(doc.queues) ? doc.queues : {};
  const vm = isRecord(doc.version_metadata) ? str(doc.version_metadata.binding) : undefined;
  const triggers = isRecord(doc.triggers) ? { crons: strings(doc.triggers.crons) ?? [] } : undefined;
  return {
    name: str(doc.name),
    main: str(doc.main),
    compatibility_date: str(doc.compatibility_date),
    compatibility_flags: strings(doc.compatibility_flags) ?? [],
    d1_databases: records(doc.d1_databases).map((d) => ({
      binding: str(d.binding) ?? "",
      database_name: str(d.database_name),
      database_id: str(d.database_id),
      migrations_dir: str(d.migrations_dir),
      migrations_table: str(d.migrations_table),
      migrations_pattern: str(d.migrations_pattern),
    })),
    kv_namespaces: records(doc.kv_namespaces).map((k) => ({ binding: str(k.binding) ?? "", id: str(k.id) })),
    r2_buckets: records(doc.r2_buckets).map((r) => ({
      binding: str(r.binding) ?? "",
      bucket_name: str(r.bucket_name),
    })),
    durable_objects: {
      bindings: records(dobj.bindings).map((b) => ({
        name: str(b.name) ?? "",
        class_name: str(b.class_name) ?? "",
        script_name: str(b.script_name),
      })),
    },
    migrations: records(doc.migrations).map((m) => ({
      tag: m.tag,
      new_classes: strings(m.new_classes),
      new_sqlite_classes: strings(m.new_sqlite_classes),
      deleted_classes: strings(m.deleted_classes),
      renamed_classes: records(m.renamed_classes).map((r) => ({ from: str(r.from) ?? "", to: str(r.to) ?? "" })),
      transferred_classes: records(m.transferred_classes).map((r) => ({
        from: str(r.from) ?? "",
        from_script: str(r.from_script) ?? "",
        to: str(r.to) ?? "",
      })),
    })),
    queues: {
      producers: records(queues.producers).map((p) => ({
        binding: str(p.binding) ?? "",
        queue: str(p.queue) ?? "",
        delivery_delay: num(p.delivery_delay),
      })),
      consumers: records(queues.consumers).map((c) => ({
        queue: str(c.queue) ?? "",
        type: str(c.type),
        max_batch_size: num(c.max_batch_size),
        max_batch_timeout: num(c.max_batch_timeout),
        max_retries: num(c.max_retries),
        dead_letter_queue: str(c.dead_letter_queue),
        retry_delay: num(c.retry_delay),
        max_concurrency: num(c.max_concurrency),
      })),
    },
    analytics_engine_datasets: records(doc.analytics_engine_datasets).map((a) => ({
      binding: str(a.binding) ?? "",
      dataset: str(a.dataset),
    })),
    vars: isRecord(doc.vars) ? doc.vars : {},
    version_metadata: vm ? { binding: vm } : undefined,
    triggers,
  };
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

function parseJsonc(path: string, text: string): { doc: Record<string, unknown>; tree: Node | undefined } {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineColumnAt(text, first.offset);
    throw new BlastwallError(`invalid JSON: ${printParseErrorCode(first.error)}`, {
      location: { file: path, line, column },
      fix: "correct the syntax at that position (wrangler accepts JSON with comments and trailing commas)",
    });
  }
  const value: unknown = tree ? nodeValue(tree) : undefined;
  if (!isRecord(value)) {
    throw new BlastwallError("the config must be an object", { location: { file: path, line: 1, column: 1 } });
  }
  return { doc: value, tree };
}

/** The plain value of a jsonc-parser tree node. */
export function nodeValue(node: Node): unknown {
  switch (node.type) {
    case "object": {
      const o: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v && typeof k.value === "string") o[k.value] = nodeValue(v);
      }
      return o;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function parseTomlDoc(path: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "syntax error";
      throw new BlastwallError(`invalid TOML: ${reason}`, {
        location: { file: path, line: err.line, column: err.column },
        fix: "correct the syntax at that position; see https://toml.io for the grammar",
      });
    }
    throw err;
  }
}

type KeyPath = (string | number)[];

/** Splits a TOML key such as `a."b.c".d` into its parts. */
function tomlKeyParts(key: string): string[] {
  const parts: string[] = [];
  for (const m of key.matchAll(/\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/g)) {
    const part = m[1] ?? m[2] ?? m[3];
    if (part !== undefined) parts.push(part);
  }
  return parts;
}

/** `[` minus `]` on a line of TOML, outside strings and comments. */
function bracketDepth(line: string): number {
  const code = line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '""').replace(/#.*$/, "");
  let d = 0;
  for (const ch of code) d += ch === "[" ? 1 : ch === "]" ? -1 : 0;
  return d;
}

/**
 * Indexes where each key path of a TOML document is written: table headers (`[a.b]`, `[[a.b]]` with their
 * index), `key = value` lines, and the inline tables of a multi-line array. A line scanner, not a parser:
 * the document has already parsed, so it only needs to find positions.
 */
function indexToml(text: string): Map<string, { line: number; column: number }> {
  const index = new Map<string, { line: number; column: number }>();
  const put = (path: KeyPath, line: number, column: number) => {
    const k = JSON.stringify(path);
    if (!index.has(k)) index.set(k, { line, column });
  };
  const counts = new Map<string, number>();
  let table: KeyPath = [];
  let array: { path: KeyPath; next: number; depth: number } | undefined;
  /** Indexes the `{ … }` inline tables written on one line as elements next, next+1, …; returns the next index. */
  const indexInlineTables = (path: KeyPath, next: number, text: string, line: number, offset = 0): number => {
    let n = next;
    for (const m of text.matchAll(/\{[^}]*\}/g)) {
      const el = [...path, n++];
      const col = offset + (m.index ?? 0) + 1;
      put(el, line, col);
      for (const kv of m[0].matchAll(/([A-Za-z0-9_-]+)\s*=/g)) {
        if (kv[1] !== undefined) put([...el, kv[1]], line, col + (kv.index ?? 0));
      }
    }
    return n;
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const line = raw.trim();
    const column = raw.length - raw.trimStart().length + 1;
    if (line === "" || line.startsWith("#")) continue;
    if (array) {
      // Inside a multi-line array: index its top-level inline tables until the brackets close.
      if (array.depth === 1) array.next = indexInlineTables(array.path, array.next, raw, i + 1);
      array.depth += bracketDepth(line);
      if (array.depth <= 0) array = undefined;
      continue;
    }
    const header = /^\[\[\s*([^\]]+?)\s*\]\]|^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header) {
      if (header[1] !== undefined) {
        const base = tomlKeyParts(header[1]);
        const k = JSON.stringify(base);
        const n = counts.get(k) ?? 0;
        counts.set(k, n + 1);
        put(base, i + 1, column);
        table = [...base, n];
      } else {
        table = tomlKeyParts(header[2] ?? "");
      }
      put(table, i + 1, column);
      continue;
    }
    const eq = /^((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=\s*(.*)$/.exec(line);
    if (!eq) continue;
    const path = [...table, ...tomlKeyParts(eq[1] ?? "")];
    put(path, i + 1, column);
    const value = eq[2] ?? "";
    if (value.startsWith("[")) {
      // One element per inline table on this line (`[{ … }, { … }]`), and those of the lines that follow.
      const at = raw.lastIndexOf(value);
      const next = indexInlineTables(path, 0, raw.slice(at), i + 1, at);
      const depth = bracketDepth(value);
      if (depth > 0) array = { path, next, depth };
    }
  }
  return index;
}

/** Location of a key path in TOML: the deepest part of the path that is written in the file. */
function locateToml(
  index: Map<string, { line: number; column: number }>,
  path: KeyPath,
): { line: number; column: number } | undefined {
  for (let n = path.length; n > 0; n--) {
    const hit = index.get(JSON.stringify(path.slice(0, n)));
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Loads a wrangler.toml, wrangler.json or wrangler.jsonc into one typed model.
 * Syntax errors become a BlastwallError naming the file, line and column.
 *
 * @example
 * const cfg = loadWranglerConfig("examples/shop/api/wrangler.jsonc");
 * cfg.d1_databases[0]?.migrations_dir; // "../migrations"
 */
export function loadWranglerConfig(path: string): WranglerConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new BlastwallError(`cannot read the config: ${(err as Error).message}`, {
      location: { file: path },
      fix: "check that the file exists and is readable",
    });
  }
  return parseWranglerConfig(path, text);
}

/**
 * Parses a config's text as if it were the file at `path` (the extension picks the format), e.g. the
 * config as it was at an earlier git commit.
 *
 * @example
 * const before = parseWranglerConfig("wrangler.toml", execSync("git show main:wrangler.toml").toString());
 */
export function parseWranglerConfig(path: string, text: string): WranglerConfig {
  // A template given with --config (`wrangler.toml.template`) is read in the format its name ends with before that.
  const name = path.replace(/\.(example|sample|template|dist)$/, "");
  const format: ConfigFormat = name.endsWith(".toml") ? "toml" : name.endsWith(".jsonc") ? "jsonc" : "json";
  let raw: Record<string, unknown>;
  let locate: WranglerConfig["locate"];
  if (format === "toml") {
    raw = parseTomlDoc(path, text);
    let index: Map<string, { line: number; column: number }> | undefined;
    locate = (p) => {
      index ??= indexToml(text);
      return locateToml(index, p);
    };
  } else {
    const parsed = parseJsonc(path, text);
    raw = parsed.doc;
    const tree = parsed.tree;
    locate = (p) => {
      if (!tree) return undefined;
      // Walk up the path until a node exists, so a missing key points at its parent.
      for (let n = p.length; n >= 0; n--) {
        const node = findNodeAtLocation(tree, p.slice(0, n));
        if (node) return lineColumnAt(text, node.parent?.type === "property" ? node.parent.offset : node.offset);
      }
      return undefined;
    };
  }
  const env: Record<string, WorkerSettings> = {};
  if (isRecord(raw.env)) {
    for (const [name, section] of Object.entries(raw.env)) {
      if (isRecord(section)) env[name] = readSettings(section);
    }
  }
  return { ...readSettings(raw), path, format, text, raw, env, locate };
}

export function isConfigFileName(name: string): boolean {
  return (CONFIG_FILE_NAMES as readonly string[]).includes(basename(name));
}
