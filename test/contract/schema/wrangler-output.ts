/**
 * The entries wrangler writes to WRANGLER_OUTPUT_FILE_PATH, as its own types declare them: `OutputEntry` in
 * packages/wrangler/src/output.ts of github.com/cloudflare/workers-sdk, checked against the `writeOutput` calls
 * compiled into the wrangler 4.86.0 package (wrangler-dist/cli.js). Every entry also gets a `timestamp`.
 */

type Field =
  | "string"
  | "string|null"
  | "string|undefined"
  | "number"
  | "number|undefined"
  | "boolean"
  | "array"
  | "object"
  | "object|undefined";

const BASE: Record<string, Field> = { type: "string", version: "number", timestamp: "string" };

/** type → its fields (version 1 of each). `version_traffic` is a Map in the source, which JSON.stringify writes as {}. */
const ENTRIES: Record<string, Record<string, Field>> = {
  "wrangler-session": { wrangler_version: "string", command_line_args: "array", log_file_path: "string" },
  deploy: {
    worker_name: "string|null",
    worker_tag: "string|null",
    version_id: "string|null",
    targets: "array",
    worker_name_overridden: "boolean",
    wrangler_environment: "string|undefined",
  },
  "version-upload": {
    worker_name: "string|null",
    worker_tag: "string|null",
    version_id: "string|null",
    preview_url: "string|undefined",
    preview_alias_url: "string|undefined",
    worker_name_overridden: "boolean",
    wrangler_environment: "string|undefined",
    // Added after 4.86: 4.164 writes { raw_bytes, gzip_bytes }.
    bundle_size: "object|undefined",
  },
  "version-deploy": {
    worker_name: "string|null",
    worker_tag: "string|null",
    deployment_id: "string",
    version_traffic: "object",
  },
  // retry_after_ms: added after 4.86 (4.164 writes it when the API asked to retry later).
  "command-failed": { code: "number|undefined", message: "string|undefined", retry_after_ms: "number|undefined" },
};

function fits(kind: Field, v: unknown): boolean {
  switch (kind) {
    case "string|null":
      return typeof v === "string" || v === null;
    case "string|undefined":
      return v === undefined || typeof v === "string";
    case "number|undefined":
      return v === undefined || typeof v === "number";
    case "array":
      return Array.isArray(v) || v === undefined;
    case "object":
      return typeof v === "object" && v !== null;
    case "object|undefined":
      return v === undefined || (typeof v === "object" && v !== null);
    default:
      return typeof v === kind;
  }
}

/** Problems with one output entry: an unknown type, a missing or mistyped field, or a field wrangler never writes. */
export function checkOutputEntry(entry: unknown): string[] {
  if (typeof entry !== "object" || entry === null) return ["output entry is not an object"];
  const e = entry as Record<string, unknown>;
  const fields = ENTRIES[String(e.type)];
  if (!fields) return [`output entry type "${String(e.type)}" is not in wrangler's OutputEntry`];
  if (e.version !== 1) return [`${String(e.type)}: version ${String(e.version)}, expected 1`];
  const all = { ...BASE, ...fields };
  const errors: string[] = [];
  for (const [k, kind] of Object.entries(all))
    if (!fits(kind, e[k])) errors.push(`${String(e.type)}.${k}: ${JSON.stringify(e[k])} is not ${kind}`);
  for (const k of Object.keys(e))
    if (!(k in all)) errors.push(`${String(e.type)}.${k} is not in wrangler's OutputEntry`);
  return errors;
}
