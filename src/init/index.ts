import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { findConfigFile } from "../project/blastwall-config.js";
import { loadProject } from "../project/discover.js";
import { type InferredWorker, inferWorker } from "./infer.js";
import { renderConfig, type Snippet, snippetsFor } from "./render.js";
import { renderWorkflow } from "./workflow.js";

export type { InferredWorker } from "./infer.js";
export type { Snippet } from "./render.js";

/** Everything `blastwall init` would write and print for a project, before anything is written. */
export interface InitPlan {
  root: string;
  workers: InferredWorker[];
  /** blastwall.config.ts, relative to the root. */
  configFile: string;
  config: string;
  /** An existing blastwall.config.* that init leaves alone unless forced. */
  existingConfig?: string;
  snippets: { worker: string; snippets: Snippet[] }[];
  workflowFile: string;
  workflow: string;
}

export const WORKFLOW_FILE = ".github/workflows/blastwall.yml";

/** The nearest folder at or above `dir` that holds `.git`, or undefined outside a repository. */
function gitRoot(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Reads the project (every wrangler config under `dir`) and plans what `init` writes: blastwall.config.ts with
 * the ramp and smoke checks inferred from the code, the code to add per Worker, and the CI workflow.
 *
 * @example
 * const plan = planInit("."); // then writeInit(plan, { ci: true })
 */
export function planInit(dir: string): InitPlan {
  const project = loadProject(dir);
  const workers = project.workers.map((w) => inferWorker(w, project.root));
  const repo = gitRoot(project.root) ?? project.root;
  const existing = findConfigFile(project.root);
  return {
    root: project.root,
    workers,
    configFile: "blastwall.config.ts",
    config: renderConfig(workers),
    ...(existing ? { existingConfig: relative(project.root, existing) } : {}),
    snippets: workers.map((w) => ({ worker: w.name, snippets: snippetsFor(w) })),
    workflowFile: relative(project.root, join(repo, WORKFLOW_FILE)),
    workflow: renderWorkflow(workers, { project: relative(repo, project.root) || "." }),
  };
}

export interface WriteInitOptions {
  /** Replace an existing blastwall config. */
  force?: boolean;
  /** Write the CI workflow too. */
  ci?: boolean;
}

/** Writes what the plan says; returns the files written, relative to the root. Never overwrites a workflow. */
export function writeInit(plan: InitPlan, { force = false, ci = false }: WriteInitOptions = {}): string[] {
  const written: string[] = [];
  if (!plan.existingConfig || force) {
    writeFileSync(join(plan.root, plan.configFile), plan.config);
    written.push(plan.configFile);
  }
  const workflow = join(plan.root, plan.workflowFile);
  if (ci && !existsSync(workflow)) {
    mkdirSync(dirname(workflow), { recursive: true });
    writeFileSync(workflow, plan.workflow);
    written.push(plan.workflowFile);
  }
  return written;
}
