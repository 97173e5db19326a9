import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import type { Finding } from "../findings.js";

/** The file `blastwall check --init` writes at the project root. */
export const BASELINE_FILE = "blastwall.baseline.json";

/** What a team declared shipped when it adopted blastwall: findings on these drop to info. */
export interface BaselineFile {
  version: 1;
  /** Migration files (relative to the project dir) that had shipped. */
  migrations: string[];
  /** Durable Object steps that had shipped, by config file (relative): `<env or "">:<tag>`. */
  durableObjectSteps: Record<string, string[]>;
  /** Fingerprints of other findings present at adoption (rule, file and message, hashed). */
  findings: string[];
}

/**
 * A finding's identity that survives line moves: its rule, file and message.
 *
 * @example
 * fingerprint({ rule: "code/sql-interpolation", file: "src/db.ts", message: "…" }); // "3f2a…"
 */
export function fingerprint(f: Pick<Finding, "rule" | "file" | "message">): string {
  return createHash("sha256").update(`${f.rule}\n${f.file}\n${f.message}`).digest("hex").slice(0, 24);
}

/** The key of a Durable Object step in {@link BaselineFile.durableObjectSteps}. */
export function stepKey(env: string | undefined, tag: unknown): string {
  return `${env ?? ""}:${typeof tag === "string" ? tag : JSON.stringify(tag ?? null)}`;
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function parseBaseline(text: string, file: string): BaselineFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BlastwallError(`${BASELINE_FILE} is not valid JSON: ${(err as Error).message}`, {
      location: { file },
      fix: "write it again with `blastwall check --init`",
    });
  }
  const d = doc as Partial<BaselineFile> | null;
  const steps = d?.durableObjectSteps;
  const stepsOk = typeof steps === "object" && steps !== null && Object.values(steps).every((v: unknown) => strings(v));
  if (d?.version !== 1 || !strings(d.migrations) || !strings(d.findings) || !stepsOk) {
    throw new BlastwallError(`${BASELINE_FILE} does not have the version 1 shape`, {
      location: { file },
      fix: "write it again with `blastwall check --init` (it keeps only what is in the history today)",
    });
  }
  return { version: 1, migrations: d.migrations, durableObjectSteps: steps, findings: d.findings };
}

/** The project's baseline, when it has one. A malformed file is unusable input (exit 2). */
export function readBaseline(root: string): BaselineFile | undefined {
  const path = join(root, BASELINE_FILE);
  if (!existsSync(path)) return undefined;
  return parseBaseline(readFileSync(path, "utf8"), BASELINE_FILE);
}

/** Writes the baseline, sorted so that it diffs well in review. */
export function writeBaseline(root: string, baseline: BaselineFile): string {
  const path = join(root, BASELINE_FILE);
  const sortedSteps = Object.fromEntries(
    Object.entries(baseline.durableObjectSteps)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, [...new Set(v)].sort()]),
  );
  const doc: BaselineFile = {
    version: 1,
    migrations: [...new Set(baseline.migrations)].sort(),
    durableObjectSteps: sortedSteps,
    findings: [...new Set(baseline.findings)].sort(),
  };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}
