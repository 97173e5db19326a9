import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { assertSplit } from "../../core/split.js";
import type { Deployment, SplitEntry, UploadVersionOptions, VersionInfo } from "../platform.js";
import { bindingsOf, buildVersion, migrationTagAnnotation, readDevVars } from "./bundle.js";
import type { EdgeRuntime } from "./runtime.js";
import type { EdgePaths, EdgeState, VersionRecord } from "./state.js";
import { definesClass } from "./workers.js";

export function short(id: string): string {
  return id.slice(0, 8);
}

export function publicVersion(v: VersionRecord): VersionInfo {
  return {
    id: v.id,
    worker: v.worker,
    createdAt: v.createdAt,
    ...(v.tag ? { tag: v.tag } : {}),
    ...(v.message ? { message: v.message } : {}),
    ...(v.annotations ? { annotations: v.annotations } : {}),
  };
}

export interface EdgeDeploymentsOptions {
  projectDir: string;
  paths: EdgePaths;
  state: EdgeState;
  runtime: EdgeRuntime;
  /** Called when versions or deployments changed, so the router rebuilds its table. */
  onChange: () => void;
}

/**
 * Versions and deployments of the local edge: upload (the real wrangler bundles), deploy a split, roll back.
 * Each change is written through before workerd restarts with it, so a SIGKILL in between resumes the new state.
 *
 * @example
 * const v = await edge.deployments.upload({ worker: "shop-api", configPath: "api/wrangler.jsonc" });
 * await edge.deployments.deploy("shop-api", [{ versionId: v.id, percentage: 100 }]);
 */
export class EdgeDeployments {
  constructor(private readonly options: EdgeDeploymentsOptions) {}

  upload(options: UploadVersionOptions): Promise<VersionInfo> {
    const { runtime, state } = this.options;
    return runtime.exclusive(async () => {
      const record = await this.build(options);
      state.addVersion(record);
      this.options.onChange();
      await runtime.reload();
      return publicVersion(record);
    });
  }

  private async build(options: UploadVersionOptions): Promise<VersionRecord> {
    const id = randomUUID();
    const outDir = join(this.options.paths.versionsDir, id);
    const built = await buildVersion({
      projectDir: this.options.projectDir,
      configPath: options.configPath,
      env: options.env,
      outDir,
    });
    const name = built.settings.name;
    if (name !== options.worker) {
      throw new BlastwallError(`the config names its Worker "${name ?? "(no name)"}", not "${options.worker}"`, {
        location: { file: built.config.path, ...built.config.locate(["name"]) },
        fix: `pass --worker ${name ?? "<name>"}, or set "name" in the config`,
      });
    }
    return {
      id,
      worker: options.worker,
      createdAt: new Date().toISOString(),
      ...(options.tag ? { tag: options.tag } : {}),
      ...(options.message ? { message: options.message } : {}),
      annotations: {
        ...(options.tag ? { "workers/tag": options.tag } : {}),
        ...(options.message ? { "workers/message": options.message } : {}),
        ...migrationTagAnnotation(built.settings),
      },
      runtimeName: `${options.worker}@${short(id)}`,
      configPath: built.config.path,
      ...(options.env ? { env: options.env } : {}),
      bundleDir: outDir,
      modules: built.modules,
      compatibilityDate: built.settings.compatibility_date ?? "2025-01-01",
      compatibilityFlags: built.settings.compatibility_flags,
      bindings: bindingsOf(built.settings, {
        ...readDevVars(dirname(built.config.path), options.env),
        ...options.vars,
      }),
    };
  }

  list(worker: string): VersionInfo[] {
    return this.options.state.versions(worker).map(publicVersion).reverse();
  }

  current(worker: string): Deployment | undefined {
    return this.options.state.current(worker);
  }

  history(worker: string): Deployment[] {
    return this.options.state.deployments(worker);
  }

  deploy(worker: string, split: SplitEntry[], message?: string): Promise<Deployment> {
    return this.options.runtime.exclusive(async () => {
      const entries = this.validateSplit(worker, split);
      return this.apply(worker, entries, "deployment", message);
    });
  }

  rollback(worker: string, to?: string, message?: string): Promise<Deployment> {
    return this.options.runtime.exclusive(async () => {
      const targetId = this.rollbackTarget(worker, to);
      const entries = [{ versionId: targetId, percentage: 100 }];
      this.checkClasses(worker, entries);
      return this.apply(worker, entries, "rollback", message ?? `rollback to ${short(targetId)}`);
    });
  }

  /** Records the deployment, then restarts workerd: objects move to their new versions behind the router's gate. */
  private async apply(worker: string, entries: SplitEntry[], kind: Deployment["kind"], message?: string) {
    const deployment = this.options.state.addDeployment(worker, entries, kind, message);
    this.options.onChange();
    await this.options.runtime.reload();
    return deployment;
  }

  private rollbackTarget(worker: string, to: string | undefined): string {
    const { state } = this.options;
    const [current, ...older] = state.deployments(worker);
    if (!current) {
      throw new BlastwallError(`${worker} was never deployed on the local edge`, {
        kind: "failure",
        fix: "deploy a version first: `blastwall versions deploy <id>@100`",
      });
    }
    if (to) return state.resolveVersion(worker, to).id;
    const single = current.versions.length === 1 ? current.versions[0]?.versionId : undefined;
    const full = older
      .map((d) => d.versions.find((e) => e.percentage === 100)?.versionId)
      .find((id) => id !== undefined && id !== single);
    if (!full) {
      throw new BlastwallError(`no earlier deployment of ${worker} served one version at 100%`, {
        kind: "failure",
        fix: "name the version to return to: `blastwall rollback --to <id>`",
      });
    }
    return full;
  }

  private validateSplit(worker: string, split: SplitEntry[]): SplitEntry[] {
    assertSplit(split);
    const entries = split.map((e) => ({
      versionId: this.options.state.resolveVersion(worker, e.versionId).id,
      percentage: e.percentage,
    }));
    // Again once resolved: two short ids can name one version.
    assertSplit(entries);
    this.checkClasses(worker, entries);
    return entries;
  }

  /**
   * Every Durable Object class of `worker` that objects already use (bound by the versions in force, of any
   * Worker) must be defined by each version that would run a share of them; otherwise nothing moves.
   */
  private checkClasses(worker: string, entries: SplitEntry[]): void {
    const { state } = this.options;
    const needed = new Map<string, string>();
    for (const w of state.workers()) {
      for (const e of state.current(w)?.versions ?? []) {
        const v = state.versions(w).find((x) => x.id === e.versionId);
        for (const d of v?.bindings.durableObjects ?? []) {
          if ((d.scriptName ?? w) === worker) needed.set(d.className, v?.runtimeName ?? w);
        }
      }
    }
    for (const e of entries) {
      if (e.percentage === 0) continue;
      const v = state.resolveVersion(worker, e.versionId);
      const missing = [...needed].filter(([c]) => !definesClass(v, c));
      const [first] = missing;
      if (!first) continue;
      throw new BlastwallError(
        `version ${short(v.id)} of ${worker} does not define the Durable Object class ${first[0]}, which ${first[1]} binds: its objects would have no code to run`,
        {
          location: { file: v.configPath },
          fix: `upload a version of ${worker} that binds class ${first[0]} (durable_objects.bindings), or deploy a version that has it`,
        },
      );
    }
  }
}
