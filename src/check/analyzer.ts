import type { Project } from "../project/discover.js";
import type { Finding, MigrationSummary } from "./findings.js";

export interface CheckOptions {
  /** `--data`: a SQLite file or a `wrangler d1 export` .sql dump to replay migrations on. */
  data?: string;
  /** `--base`: a git ref whose configs the Durable Object migration history must extend. */
  base?: string;
  /** `--base-schema <file.sql>`: schema made outside migrations, run before the first migration of each folder. */
  baseSchema?: string;
  /** `--config <file>` (repeatable): check exactly these wrangler configs. */
  configs?: string[];
  /** Ignore blastwall.baseline.json (`check --init` writes a new one). */
  ignoreBaseline?: boolean;
}

export interface AnalyzerContext {
  project: Project;
  options: CheckOptions;
  /** Report progress on long analyses (a live step on a TTY, plain lines in CI). */
  progress?: (detail: string) => void;
}

export interface AnalyzerOutput {
  findings: Finding[];
  migrations?: MigrationSummary[];
  /** Migration files (relative to the project) that `--data` records as applied: shipped history. */
  appliedOnData?: string[];
}

/** One family of checks (D1 migrations, wrangler config, Worker code) over a whole project. */
export interface Analyzer {
  name: string;
  analyze(ctx: AnalyzerContext): Promise<AnalyzerOutput>;
}
