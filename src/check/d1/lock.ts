import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlastwallError } from "../../core/errors.js";

export const LOCK_FILE = "migrations.lock";

export interface LockEntry {
  name: string;
  /** Running hash: covers this file and every file before it, like atlas.sum. */
  hash: string;
  /** 1-based line in migrations.lock. */
  line: number;
}

export interface MigrationContent {
  name: string;
  content: Buffer | string;
}

/** Running SHA-256 over the files in apply order: each hash covers the name and bytes of its file and all before it. */
export function runningHashes(files: readonly MigrationContent[]): string[] {
  const out: string[] = [];
  let prev = "";
  for (const f of files) {
    prev = createHash("sha256").update(prev).update("\n").update(f.name).update("\n").update(f.content).digest("hex");
    out.push(prev);
  }
  return out;
}

/**
 * The text of migrations.lock for these files.
 *
 * @example
 * renderLock([{ name: "0001_init.sql", content: "CREATE TABLE a (x);" }]);
 * // "# blastwall migrations.lock …\n0001_init.sql sha256:…\n"
 */
export function renderLock(files: readonly MigrationContent[]): string {
  const hashes = runningHashes(files);
  const lines = [
    "# blastwall migrations.lock: a running SHA-256 per migration, in apply order. Do not edit by hand;",
    "# run `blastwall migrations lock` after adding a migration. `blastwall check` fails when a locked",
    "# migration is edited, removed or reordered, or a new one sorts before the last locked one.",
    ...files.map((f, i) => `${f.name} sha256:${hashes[i] ?? ""}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Parses migrations.lock; a malformed line is unusable input (exit 2) that names the file and line. */
export function parseLock(text: string, file: string): LockEntry[] {
  const entries: LockEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(\S+)\s+sha256:([0-9a-f]{64})$/.exec(line);
    if (!m?.[1] || !m[2]) {
      throw new BlastwallError(`malformed line in ${LOCK_FILE}: "${line.slice(0, 80)}"`, {
        location: { file, line: i + 1, column: 1 },
        fix: "regenerate it with `blastwall migrations lock` (after checking that no locked migration was edited)",
      });
    }
    entries.push({ name: m[1], hash: m[2], line: i + 1 });
  });
  return entries;
}

export function readLock(dir: string, displayPath: string): LockEntry[] | undefined {
  const path = join(dir, LOCK_FILE);
  if (!existsSync(path)) return undefined;
  return parseLock(readFileSync(path, "utf8"), displayPath);
}

export function writeLock(dir: string, files: readonly MigrationContent[]): string {
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, renderLock(files));
  return path;
}

export type LockProblem =
  | { kind: "edited"; name: string; lockLine: number }
  | { kind: "removed"; name: string; lockLine: number }
  | { kind: "reordered"; name: string; lockLine: number; expectedAfter: string | undefined }
  | { kind: "out-of-order"; name: string; latestLocked: string };

/**
 * Compares the files on disk (in apply order) with migrations.lock.
 *
 * @example
 * verifyLock(entries, files); // [{ kind: "edited", name: "0002_items.sql", lockLine: 5 }]
 */
export function verifyLock(entries: readonly LockEntry[], files: readonly MigrationContent[]): LockProblem[] {
  const problems: LockProblem[] = [];
  const locked = new Map(entries.map((e) => [e.name, e]));
  const onDisk = new Map(files.map((f) => [f.name, f]));
  for (const e of entries) if (!onDisk.has(e.name)) problems.push({ kind: "removed", name: e.name, lockLine: e.line });
  // New files that D1 would apply before an already-locked (and likely already-applied) one.
  const lastLockedPos = files.reduce((acc, f, i) => (locked.has(f.name) ? i : acc), -1);
  const latest = files[lastLockedPos]?.name;
  files.forEach((f, i) => {
    if (!locked.has(f.name) && i < lastLockedPos && latest)
      problems.push({ kind: "out-of-order", name: f.name, latestLocked: latest });
  });
  const present = entries.filter((e) => onDisk.has(e.name));
  const currentOrder = files.filter((f) => locked.has(f.name)).map((f) => f.name);
  const reorderedAt = present.findIndex((e, i) => currentOrder[i] !== e.name);
  if (reorderedAt >= 0) {
    const name = currentOrder[reorderedAt] ?? "";
    problems.push({
      kind: "reordered",
      name,
      lockLine: locked.get(name)?.line ?? 1,
      expectedAfter: reorderedAt > 0 ? present[reorderedAt - 1]?.name : undefined,
    });
    return problems;
  }
  if (problems.some((p) => p.kind === "removed")) {
    // A removed file changes every running hash after it; only compare hashes up to it.
    const firstRemoved = entries.findIndex((e) => !onDisk.has(e.name));
    const upTo = entries.slice(0, firstRemoved);
    compareHashes(upTo, files, problems);
    return problems;
  }
  compareHashes(present, files, problems);
  return problems;
}

function compareHashes(
  entries: readonly LockEntry[],
  files: readonly MigrationContent[],
  problems: LockProblem[],
): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered = entries.flatMap((e) => byName.get(e.name) ?? []);
  const hashes = runningHashes(ordered);
  const bad = entries.findIndex((e, i) => hashes[i] !== e.hash);
  const entry = entries[bad];
  if (entry) problems.push({ kind: "edited", name: entry.name, lockLine: entry.line });
}
