import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import { BlastwallError } from "../cli/errors.js";

export type ConfigFormat = "toml" | "json" | "jsonc";

export interface D1Binding {
  binding: string;
  database_name?: string;
  database_id?: string;
  migrations_dir?: string;
  migrations_table?: string;
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

function isRecord(v: unknown): v is Record<string, unknown> {
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

/** Best-effort location of a key path in TOML: finds the table header, then the key below it. */
function locateToml(text: string, path: (string | number)[]): { line: number; column: number } | undefined {
  const lines = text.split("\n");
  const keys = path.filter((p): p is string => typeof p === "string");
  const last = keys[keys.length - 1];
  if (last === undefined) return undefined;
  const arrayIndex = path.filter((p): p is number => typeof p === "number")[0] ?? 0;
  const tablePath = keys.slice(0, -1).join(".");
  let start = 0;
  if (tablePath) {
    let seen = -1;
    for (let i = 0; i < lines.length; i++) {
      const h = lines[i]?.trim() ?? "";
      if (h === `[${tablePath}]` || h === `[[${tablePath}]]`) {
        seen++;
        if (seen === arrayIndex || h === `[${tablePath}]`) {
          start = i;
          break;
        }
      }
    }
  }
  for (let i = start; i < lines.length; i++) {
    const l = lines[i] ?? "";
    const m = new RegExp(`^\\s*"?${last.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?\\s*=`).exec(l);
    if (m) return { line: i + 1, column: l.indexOf(last) + 1 };
  }
  return tablePath ? { line: start + 1, column: 1 } : undefined;
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
  const format: ConfigFormat = path.endsWith(".toml") ? "toml" : path.endsWith(".jsonc") ? "jsonc" : "json";
  let raw: Record<string, unknown>;
  let locate: WranglerConfig["locate"];
  if (format === "toml") {
    raw = parseTomlDoc(path, text);
    locate = (p) => locateToml(text, p);
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
