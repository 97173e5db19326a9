import { day, git, isMigrationPath as isMigration, type LogCommit } from "./git-history.js";
import type { HandApply } from "./hand-apply.js";
import type { PushDeploy } from "./push-deploy.js";

/** A migration file whose text changed after databases may have applied it. */
export interface ShippedEdit {
  /** The text it had when it shipped: what such a database ran. */
  shippedText: string;
  /** For messages: how we know it shipped ("0002_add_tags.sql was added after it, in commit 1a2b3c4"). */
  shipped: string;
  /** For messages: where the change is ("commit 5d6e7f8 (2024-04-10)", "the working tree"). */
  edited: string;
  /** The commit (or `--base` ref) that holds the shipped text, and the file's name there. */
  ref: string;
  shippedName: string;
  /** Migration files deleted since it shipped, with their last text: a database that shipped may have run them. */
  removed: () => { name: string; text: string }[];
}

interface Lineage {
  name: string;
  addedAt: number;
  /** Index of the last commit that changed it. */
  last: number;
  /**
   * Index of the commit whose text shipped, and why: the commit that first added another migration after this one
   * (`by` names that file), or, in a folder a workflow applies on push, its last change before a later edit.
   */
  shipped?: { at: number; by?: string; name: string; branch?: string };
  edits: number[];
}

/**
 * How long after a commit an edit must come for the commit to have been pushed on its own. Commits made minutes
 * apart are often pushed together, and a push applies only its last commit's text.
 */
export const PUSHED_APART_SECONDS = 15 * 60;

/** "32 minutes", "3 days": how long after `from` the commit `to` came. */
function minutes(to: LogCommit, from: LogCommit): string {
  const m = Math.max(0, Math.round((to.time - from.time) / 60));
  if (m < 120) return `${m} minutes`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} hours` : `${Math.round(h / 24)} days`;
}

/** Walks the folder's history: when each file shipped (another migration was committed after it) and later edits. */
function lineages(log: readonly LogCommit[], pushed: boolean): Map<string, Lineage> {
  const live = new Map<string, Lineage>();
  log.forEach((commit, at) => {
    for (const c of commit.changes) {
      const from = c.status === "R" && c.from !== undefined ? live.get(c.from) : undefined;
      if (c.status === "D" || from) live.delete(c.from ?? c.path);
      if (from) {
        from.name = c.path;
        if (from.shipped) from.edits.push(at);
        live.set(c.path, from);
      } else if (c.status === "A" || c.status === "R") {
        if (isMigration(c.path)) live.set(c.path, { name: c.path, addedAt: at, last: at, edits: [] });
      } else if (c.status === "M") {
        const l = live.get(c.path);
        // Changed on the branch that added the later file, before its merge: the merge ships this text.
        if (l?.shipped?.branch !== undefined && commit.mergedBy === l.shipped.branch) {
          l.shipped.at = at;
          l.last = at;
          continue;
        }
        const prior = l && log[l.last];
        const onMain = prior && prior.mergedBy === undefined && commit.mergedBy === undefined;
        if (l && !l.shipped && pushed && prior && onMain && commit.time - prior.time >= PUSHED_APART_SECONDS)
          l.shipped = { at: l.last, name: l.name };
        if (l?.shipped) l.edits.push(at);
        if (l) l.last = at;
      }
    }
    // After the commit's own edits: a file changed in the commit that moved on from it shipped with that change.
    const added = commit.changes.find((c) => c.status === "A" && isMigration(c.path));
    if (added && !commit.root)
      for (const l of live.values())
        if (!l.shipped && l.addedAt < at)
          l.shipped = { at, by: added.path, name: l.name, ...(commit.mergedBy ? { branch: commit.mergedBy } : {}) };
  });
  return live;
}

/** Deleted migration files at or after commit `at`, read from the commit before each deletion. */
function removedSince(dir: string, log: readonly LogCommit[], at: number): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const commit of log.slice(at))
    for (const c of commit.changes)
      if (c.status === "D" && isMigration(c.path)) {
        const text = git(dir, ["show", `${commit.id}^:./${c.path}`]);
        if (text !== undefined) out.push({ name: c.path, text });
      }
  return out;
}

/**
 * Which migration files were edited after they shipped. A file has shipped once a later commit added another
 * migration on top of it (someone applied it and moved on), or, with `--base`, when it is at that ref. Where a
 * workflow applies the folder on every push, or operators run the files by hand (`pushed`), a commit pushed on its
 * own (`PUSHED_APART_SECONDS` before the edit) has shipped too. Its shipped
 * text is read only for files edited since (a later commit, or the working tree), so an unedited history costs one
 * `git diff` per folder.
 *
 * @example
 * const edits = shippedEdits("migrations", folderLog("migrations") ?? []);
 * edits("0001_init.sql")?.shippedText; // the text databases applied before the edit
 */
export function shippedEdits(
  dir: string,
  log: readonly LogCommit[],
  { base, pushed }: { base?: string; pushed?: PushDeploy | HandApply } = {},
): (name: string) => ShippedEdit | undefined {
  const live = lineages(log, pushed !== undefined);
  let dirty: Set<string> | undefined;
  const changedSince = (ref: string) =>
    new Set(
      (git(dir, ["-c", "core.quotepath=off", "diff", "--name-only", "--relative", ref, "--", "."]) ?? "")
        .split("\n")
        .filter(Boolean),
    );
  let changedFromBase: Set<string> | undefined;
  return (name) => {
    if (base !== undefined) {
      changedFromBase ??= changedSince(base);
      const text = changedFromBase.has(name) ? git(dir, ["show", `${base}:./${name}`]) : undefined;
      if (text !== undefined)
        return {
          shippedText: text,
          shipped: `it is at --base ${base}`,
          edited: `this change (since --base ${base})`,
          ref: base,
          shippedName: name,
          removed: () => [],
        };
    }
    const l = live.get(name);
    if (!l?.shipped) return undefined;
    const first = l.edits[0];
    dirty ??= changedSince("HEAD");
    if (first === undefined && !dirty.has(name)) return undefined;
    const { at, by, name: then, branch } = l.shipped;
    const ship = log[at];
    const shippedText = ship && git(dir, ["show", `${ship.id}:./${then}`]);
    if (!ship || shippedText === undefined) return undefined;
    const editedIn = first === undefined ? undefined : log[first];
    const more = l.edits.length > 1 ? ` and ${l.edits.length - 1} later commit${l.edits.length > 2 ? "s" : ""}` : "";
    const how =
      pushed &&
      ("how" in pushed
        ? `${pushed.how}, so a file reaches production whenever someone runs it, and`
        : `${pushed.file.slice(pushed.file.lastIndexOf(".github"))}:${pushed.line} applies migrations on every push, and`);
    return {
      shippedText,
      shipped:
        by === undefined
          ? `${how} commit ${ship.id.slice(0, 7)} (${day(ship.time)}) holding it came ${minutes(editedIn ?? ship, ship)} before the edit`
          : branch
            ? `${by} was added after it on the branch that merge ${branch.slice(0, 7)} brought in, whose text of it is commit ${ship.id.slice(0, 7)}'s (${day(ship.time)})`
            : `${by} was added after it, in commit ${ship.id.slice(0, 7)} (${day(ship.time)})`,
      edited: editedIn ? `commit ${editedIn.id.slice(0, 7)} (${day(editedIn.time)})${more}` : "the working tree",
      ref: ship.id.slice(0, 7),
      shippedName: then,
      removed: () => removedSince(dir, log, at),
    };
  };
}
