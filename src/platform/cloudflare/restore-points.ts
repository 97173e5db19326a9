/**
 * Restore points live in deployment messages, so the platform stays the source of truth: blastwall keeps no
 * state of its own, and `deployments list` on any machine shows every bookmark a release took.
 *
 * Format: `bw:rp <database> <bookmark> [<migration>]`, at most 100 characters (the API's message limit).
 * When the migration's full name does not fit, its number prefix is kept (`0004_add_sku.sql` → `0004`).
 */

export const MAX_MESSAGE_LENGTH = 100;

export interface RecordedRestorePoint {
  database: string;
  bookmark: string;
  beforeMigration?: string;
}

/** Bookmarks are `hex-hex-hex-hex`; names are D1 database names and migration file names. */
const PATTERN = /^bw:rp (\S+) ([0-9a-f]+(?:-[0-9a-f]+){3})(?: (\S+))?$/;

/**
 * @example
 * formatRestorePoint({ database: "shop", bookmark: "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683", beforeMigration: "0004_add_sku.sql" });
 */
export function formatRestorePoint({ database, bookmark, beforeMigration }: RecordedRestorePoint): string {
  const head = `bw:rp ${database} ${bookmark}`;
  if (!beforeMigration) return head;
  const full = `${head} ${beforeMigration}`;
  if (full.length <= MAX_MESSAGE_LENGTH) return full;
  const prefix = /^\d+/.exec(beforeMigration)?.[0];
  if (prefix && head.length + 1 + prefix.length <= MAX_MESSAGE_LENGTH) return `${head} ${prefix}`;
  return head;
}

export function parseRestorePoint(message: string | undefined): RecordedRestorePoint | undefined {
  const m = message ? PATTERN.exec(message.trim()) : null;
  if (!m?.[1] || !m[2]) return undefined;
  return { database: m[1], bookmark: m[2], ...(m[3] ? { beforeMigration: m[3] } : {}) };
}

/** True when a recorded migration (full name or number prefix) names `migration`. */
export function sameMigration(recorded: string | undefined, migration: string): boolean {
  if (!recorded) return false;
  if (recorded === migration) return true;
  const a = /^\d+/.exec(recorded)?.[0];
  const b = /^\d+/.exec(migration)?.[0];
  return a !== undefined && a === recorded && a === b;
}
