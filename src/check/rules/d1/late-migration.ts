import { leadingMigrationNumber } from "../../../core/migration-order.js";
import { day, folderLog, git, type LogCommit } from "../../d1/git-history.js";
import { commuteVerdicts, type OrderPair, pairKey } from "../../d1/order-commute.js";
import type { FolderHit } from "../../d1/rule.js";
import { PUSHED_APART_SECONDS } from "../../d1/shipped-edits.js";
import { defineRule } from "../rule.js";

/** When a file reached the branch that ships: its commit, or the merge that brought it in. */
interface Arrival {
  id: string;
  time: number;
  /** When it last took its current name, if a rename gave it: before then it sorted elsewhere. */
  renamed?: number;
}

/** Each migration's first arrival, followed through renames (a renamed file keeps the arrival of its old name). */
function arrivals(dir: string, log: readonly LogCommit[]): Map<string, Arrival> {
  const byId = new Map(log.map((c) => [c.id, c]));
  const mergeTimes = new Map<string, number>();
  const mergeTime = (id: string): number => {
    let t = mergeTimes.get(id) ?? byId.get(id)?.time;
    if (t === undefined) {
      t = Number((git(dir, ["show", "-s", "--format=%ct", id]) ?? "").trim()) || 0;
      mergeTimes.set(id, t);
    }
    return t;
  };
  const out = new Map<string, Arrival>();
  for (const commit of log) {
    const at: Arrival = commit.mergedBy
      ? { id: commit.mergedBy, time: mergeTime(commit.mergedBy) }
      : { id: commit.id, time: commit.time };
    for (const c of commit.changes) {
      if (out.has(c.path)) continue;
      // A rename from a file the log never showed added (a merge brought it in) has no known arrival.
      const before = c.status === "R" && c.from !== undefined ? out.get(c.from) : undefined;
      if (before) out.set(c.path, { ...before, renamed: at.time });
      else if (c.status === "A") out.set(c.path, at);
    }
  }
  return out;
}

/**
 * A migration committed after one that sorts later had already shipped (`0031_fix.sql` added a day after
 * `0033_hash.sql`): databases that applied 0033 first run 0031 after it, a fresh database runs it before. Both orders
 * are replayed from the history before it (as `d1/duplicate-migration-number` does); only when they give different
 * databases is it a hazard, otherwise info. From git history; quiet outside a repository.
 */
export default defineRule({
  meta: {
    id: "d1/late-migration",
    severity: "error",
    summary: "A migration committed after a later-numbered one shipped runs in another order on existing databases",
  },
  checkFolder({ dir, names, windows }) {
    if (names.length < 2 || !dir.exists) return [];
    const log = folderLog(dir.dir, { merges: true });
    if (!log || log.length < 2) return [];
    const came = arrivals(dir.dir, log);
    const late: (OrderPair & { then: Arrival; now: Arrival })[] = [];
    names.forEach((name, i) => {
      const now = came.get(name);
      if (!now) return;
      const n = leadingMigrationNumber(name);
      // Only numbered files: a stray `setup.sql` sorting last says nothing about when the numbered ones shipped.
      if (!Number.isFinite(n)) return;
      // The last file after it in apply order that was on the branch long enough to have been applied alone.
      for (let j = names.length - 1; j > i; j--) {
        const other = names[j] ?? "";
        const then = came.get(other);
        const m = leadingMigrationNumber(other);
        if (!then || !Number.isFinite(m) || m === n || then.time + PUSHED_APART_SECONDS > now.time) continue;
        // Renamed since this file arrived: its name then may have sorted before this one.
        if (then.renamed !== undefined && then.renamed >= now.time) continue;
        // As a database migrated along the way ran them: what had arrived before it, then it, then the rest. It is
        // compared with the same order but this file in its name's place, so a difference is this file's alone,
        // not that of another late file in between.
        const span = names.slice(i, j + 1).filter((x) => x !== name);
        const before = (x: string) => (came.get(x)?.time ?? Number.POSITIVE_INFINITY) < now.time;
        const after = span.filter((x) => !before(x));
        const order = [...span.filter(before), name, ...after];
        const baseline = [name, ...span.filter(before), ...after];
        const labels = { baseline: `with ${name} first`, order: `as databases migrated along the way ran them` };
        late.push({ first: name, second: other, order, baseline, labels, then, now });
        break;
      }
    });
    // Before the config named a real database (and a push after), no database existed to apply the later file first.
    const born = late.length > 0 ? windows?.born() : undefined;
    const judged = born ? late.filter((l) => l.now.time >= born.time + PUSHED_APART_SECONDS) : late;
    if (judged.length === 0) return [];
    const verdicts = commuteVerdicts(dir, names, judged);
    const last = names[names.length - 1] ?? "";
    let next = Math.max(0, ...names.map(leadingMigrationNumber).filter(Number.isFinite));
    return judged.flatMap(({ first, second, then, now }): FolderHit[] => {
      const v = verdicts.get(pairKey({ first, second }));
      // When both orders fail, the name order's failures are the other rules' to report; the order databases
      // migrated along the way ran is this rule's, so it is quiet only when that order fails nowhere else.
      if (v && !v.commutes && v.bothFail && !v.failsOnlyInOrder) return [];
      next++;
      const width = first.split("_")[0]?.length ?? 4;
      const renamed = `${String(next).padStart(width, "0")}_${first.split("_").slice(1).join("_") || "migration.sql"}`;
      const story = `${first} reached the branch in commit ${now.id.slice(0, 7)} (${day(now.time)}), after ${second} had (commit ${then.id.slice(0, 7)}, ${day(then.time)}), yet sorts before it: a database that applied ${second} before ${first} existed runs ${first} after it, while a fresh database runs it before`;
      if (!v || v.commutes)
        return [
          {
            name: first,
            line: 1,
            severity: "info",
            message: `${story}. The two orders were replayed and give the same schema and rows, so every database ends up the same.`,
            fix: `Nothing to fix. Number new migrations after the last one (${last}) so the order never depends on when a database was migrated.`,
            data: { shippedFirst: second, commutes: true },
          },
        ];
      return [
        {
          name: first,
          line: 1,
          ...(v.kind === "columns" ? { severity: "info" as const } : {}),
          message: `${story}, and the two orders give different databases: ${v.difference}`,
          fix: `If ${first} has not been applied anywhere, rename it to ${renamed} so every database runs it after ${last}. If it shipped, add a migration that brings both orders to the same schema and rows, then mark this file: \`-- blastwall-ignore-file d1/late-migration: <why both orders now end the same>\``,
          data: { shippedFirst: second, commutes: false, difference: v.kind },
        },
      ];
    });
  },
});
