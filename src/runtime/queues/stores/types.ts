/** Stored states. `EXPIRED` is never stored: it is derived on read from the lease and the TTL. */
export type RecordStatus = "INPROGRESS" | "COMPLETED";
export type RecordState = RecordStatus | "EXPIRED";

/** One idempotency record. Every time is epoch milliseconds. */
export interface IdempotencyRecord {
  key: string;
  status: RecordStatus;
  /** The consume() invocation that holds or completed the claim. */
  owner: string;
  /** Until when an INPROGRESS claim is held; after it another worker may take over. */
  leaseUntil: number;
  /** When the record stops counting: a COMPLETED key is processed again after this. */
  expiresAt: number;
}

/** A record as the SQL stores (D1, Durable Object) keep it: one row, snake_case columns. */
export interface RecordRow {
  key: string;
  status: RecordStatus;
  owner: string;
  lease_until: number;
  expires_at: number;
}

/** The record a stored row holds. */
export function recordOf({ key, status, owner, lease_until, expires_at }: RecordRow): IdempotencyRecord {
  return { key, status, owner, leaseUntil: lease_until, expiresAt: expires_at };
}

/**
 * EXPIRED when the TTL has passed, or when an INPROGRESS claim's lease has run out (its worker crashed or hung),
 * so the key may be claimed again.
 */
export function stateOf(
  record: Pick<IdempotencyRecord, "status" | "leaseUntil" | "expiresAt">,
  now: number,
): RecordState {
  if (record.expiresAt <= now) return "EXPIRED";
  if (record.status === "INPROGRESS" && record.leaseUntil <= now) return "EXPIRED";
  return record.status;
}

export interface ClaimRequest {
  keys: readonly string[];
  owner: string;
  now: number;
  leaseMs: number;
  ttlMs: number;
}

export type ClaimResult =
  | { outcome: "claimed" }
  | { outcome: "completed" }
  /** Another worker holds a live lease on the key: retry later, do not process. */
  | { outcome: "in_flight"; leaseUntil: number };

/** A message whose handler succeeded; `statements` are its D1 side effects, if any. */
export interface DoneEntry {
  key: string;
  statements: readonly D1PreparedStatement[];
}

export interface SettleRequest {
  owner: string;
  now: number;
  ttlMs: number;
  /** Handlers that succeeded: mark COMPLETED (with their statements, when the store commits them). */
  done: readonly DoneEntry[];
  /** Handlers that failed: delete the claim so a retry processes the message again. */
  failed: readonly string[];
}

export type SettleResult =
  | { ok: true }
  /** The lease passed to another worker before completion; nothing of this message was committed by us. */
  | { ok: false; reason: "lease_lost"; message: string }
  /** The message's D1 side effects failed to commit; nothing of it was committed. */
  | { ok: false; reason: "side_effect_failed"; message: string };

/** Where consume() records which messages it processed. */
export interface IdempotencyStore {
  readonly kind: string;
  /** `strong`: claims are atomic, duplicates are never processed concurrently. `best-effort`: they can be. */
  readonly guarantee: "strong" | "best-effort";
  /**
   * True when settle() commits the handlers' D1 statements in the same transaction as COMPLETED (exactly-once).
   * Otherwise consume() runs them itself first, through its `sideEffects` database (at-least-once).
   */
  readonly commitsStatements: boolean;
  claim(request: ClaimRequest): Promise<Map<string, ClaimResult>>;
  settle(request: SettleRequest): Promise<Map<string, SettleResult>>;
  /**
   * Claims, commits the statements and completes in one step, or does nothing and returns false when any key is
   * not free (a duplicate, or in flight) or a statement fails. Only stores that commit statements implement it.
   */
  commitSpeculatively?(request: ClaimRequest & { done: readonly DoneEntry[] }): Promise<boolean>;
  /** Reads a record and its derived state, for tools and tests. */
  inspect(key: string, now: number): Promise<(IdempotencyRecord & { state: RecordState }) | null>;
}

/** FNV-1a, 32 bit: a stable, fast hash to spread keys over shards. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
