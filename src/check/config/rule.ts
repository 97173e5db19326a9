import type { Project } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { Finding, RuleMeta } from "../findings.js";
import { report } from "../rules/report.js";
import type { ConfigSection, KeyPath } from "./sections.js";

export interface ConfigRuleContext {
  project: Project;
  worker: WranglerConfig;
  /** The config's path relative to the project dir. */
  file: string;
  sections: ConfigSection[];
  /** Names exported by the Worker's entry module (`main`); undefined when it cannot be read. */
  entryExports(): Set<string> | undefined;
  /**
   * Whether the entry module's queue() handler never lets a message come back at once (every retry passes
   * `delaySeconds`, every error is caught); undefined when there is no readable handler.
   */
  queueDelaysRetries(): boolean | undefined;
  /** Every section of every Worker in the project, to resolve bindings that name another Worker (`script_name`). */
  projectSections: { worker: WranglerConfig; file: string; section: ConfigSection }[];
  /** The same config at the `--base` git ref, when given and the file existed there. */
  base?: WranglerConfig;
  /** The `--base` git ref, for messages. */
  baseRef?: string;
}

/**
 * Builds a finding located at a key path of the config.
 *
 * @example
 * at(ctx, meta, ["migrations", 1, "deleted_classes"], "deletes Room", "keep Room");
 */
export function at(
  ctx: ConfigRuleContext,
  meta: RuleMeta,
  path: KeyPath,
  message: string,
  fix: string,
  data?: Record<string, unknown>,
): Finding {
  const loc = ctx.worker.locate(path);
  return report(meta, { line: loc?.line ?? 1, column: loc?.column, message, fix, data }, ctx.file);
}

/** "env.staging" or "the top level", for messages. */
export function sectionName(s: ConfigSection): string {
  return s.env === undefined ? "the top level" : `env.${s.env}`;
}

/** A `key = value` (TOML) or `"key": value` (JSON) snippet in the config's own syntax, for fixes. */
export function kv(ctx: ConfigRuleContext, key: string, value: unknown): string {
  return ctx.worker.format === "toml" ? `${key} = ${JSON.stringify(value)}` : `"${key}": ${JSON.stringify(value)}`;
}

/** The comment marker of the config's format. */
export function commentMarker(ctx: ConfigRuleContext): string {
  return ctx.worker.format === "toml" ? "#" : "//";
}

/** "migration \"v2\"" or "migration #3" when the tag is unusable. */
export function stepName(tag: unknown, index: number): string {
  return typeof tag === "string" ? `migration "${tag}"` : `migration #${index + 1}`;
}
