import { DurableObject } from "cloudflare:workers";
import { isFlagName } from "./flags.js";

/** One flag as the store keeps it. */
export interface FlagRecord {
  name: string;
  value: string;
  /** ISO 8601, the Durable Object's clock. */
  updatedAt: string;
  /** Operator label of the last change (never a token). */
  actor: string;
}

/** One change, as the audit log keeps it. */
export interface AuditEntry {
  id: number;
  /** ISO 8601. */
  at: string;
  flag: string;
  /** null when the flag had never been set. */
  old: string | null;
  new: string;
  actor: string;
}

export interface FlagChange {
  flag: FlagRecord;
  previous: string | null;
  changed: boolean;
}

export interface SetFlagInput {
  name: string;
  value: string;
  actor: string;
}

export interface AuditQuery {
  /** 1-1000, default 100. */
  limit?: number;
  /** Only entries with an id below this one (for paging back). */
  before?: number;
  flag?: string;
}

const ACTOR = /^[\w.@+ -]{1,64}$/;
const MAX_VALUE = 256;

/** Why a flag write is refused, or undefined when it is fine. Shared by the admin API (400) and the object. */
export function invalidFlagWrite(input: { name: unknown; value: unknown; actor: unknown }): string | undefined {
  if (typeof input.name !== "string" || !isFlagName(input.name)) {
    return "flag name must be 1-128 of letters, digits, _ . : - (not starting with . : -)";
  }
  if (typeof input.value !== "string") return 'value must be a string: "1" on, "0" off, or a value';
  if (input.value.length > MAX_VALUE) return `value must be at most ${MAX_VALUE} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(input.value)) return "value must not contain control characters";
  if (typeof input.actor !== "string" || !ACTOR.test(input.actor)) {
    return "actor must be a label of 1-64 letters, digits, spaces or _ . @ + - (who is flipping the flag)";
  }
  return undefined;
}

interface FlagRow extends Record<string, SqlStorageValue> {
  name: string;
  value: string;
  updated_at: number;
  actor: string;
}

interface AuditRow extends Record<string, SqlStorageValue> {
  id: number;
  at: number;
  flag: string;
  old_value: string | null;
  new_value: string;
  actor: string;
}

const toRecord = (r: FlagRow): FlagRecord => ({
  name: r.name,
  value: r.value,
  updatedAt: new Date(r.updated_at).toISOString(),
  actor: r.actor,
});

/**
 * The strongly consistent flag store: a SQLite-backed Durable Object with an audit log.
 *
 * A deployment uses ONE object (by name, "global" by default). That is safe despite the "no singletons" rule:
 * readers memoise its answer per isolate for `maxStalenessMs`, so it sees about one read per isolate per second,
 * not one per request, and writes only come from operators.
 *
 * Bind it in wrangler config and add it in a NEW migration step:
 *
 * @example
 * // wrangler.jsonc
 * // "durable_objects": { "bindings": [{ "name": "OPS_FLAGS", "class_name": "BlastwallOpsFlags" }] },
 * // "migrations": [..., { "tag": "v2", "new_sqlite_classes": ["BlastwallOpsFlags"] }]
 * export { BlastwallOpsFlags } from "blastwall/ops";
 */
export class BlastwallOpsFlags extends DurableObject<unknown> {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS blastwall_flags (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        actor TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS blastwall_flag_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        flag TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT NOT NULL,
        actor TEXT NOT NULL
      );`);
  }

  /** name → value for every flag ever set: what readers memoise. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.ctx.storage.sql.exec<FlagRow>("SELECT name, value FROM blastwall_flags"))
      out[r.name] = r.value;
    return out;
  }

  list(): FlagRecord[] {
    return this.ctx.storage.sql
      .exec<FlagRow>("SELECT name, value, updated_at, actor FROM blastwall_flags ORDER BY name")
      .toArray()
      .map(toRecord);
  }

  /** Sets a flag and appends an audit entry in the same transaction (no await between read and write). */
  set(input: SetFlagInput): FlagChange {
    const invalid = invalidFlagWrite(input);
    if (invalid) throw new TypeError(`blastwall ops flags: ${invalid}`);
    const { name, value, actor } = input;
    const sql = this.ctx.storage.sql;
    const before = sql.exec<FlagRow>("SELECT value FROM blastwall_flags WHERE name = ?", name).toArray()[0];
    const previous = before ? before.value : null;
    const now = Date.now();
    sql.exec(
      `INSERT INTO blastwall_flags (name, value, updated_at, actor) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, actor = excluded.actor`,
      name,
      value,
      now,
      actor,
    );
    // Every operator action is recorded, a no-op one too: "alice set it to 1 again at 10:02" matters in a review.
    sql.exec(
      "INSERT INTO blastwall_flag_audit (at, flag, old_value, new_value, actor) VALUES (?, ?, ?, ?, ?)",
      now,
      name,
      previous,
      value,
      actor,
    );
    return {
      flag: { name, value, updatedAt: new Date(now).toISOString(), actor },
      previous,
      changed: previous !== value,
    };
  }

  /** Newest first. */
  audit(query: AuditQuery = {}): AuditEntry[] {
    const limit = Math.min(1000, Math.max(1, Math.trunc(query.limit ?? 100)));
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (query.before !== undefined) {
      where.push("id < ?");
      args.push(Math.trunc(query.before));
    }
    if (query.flag !== undefined) {
      where.push("flag = ?");
      args.push(query.flag);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    return this.ctx.storage.sql
      .exec<AuditRow>(
        `SELECT id, at, flag, old_value, new_value, actor FROM blastwall_flag_audit ${clause} ORDER BY id DESC LIMIT ?`,
        ...args,
        limit,
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        flag: r.flag,
        old: r.old_value,
        new: r.new_value,
        actor: r.actor,
      }));
  }
}
