import { dirname, resolve } from "node:path";
import { relativeTo } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { Analyzer, AnalyzerContext } from "../analyzer.js";
import { moduleExports } from "../code/module-exports.js";
import type { Finding } from "../findings.js";
import { rule as shadowedConfig } from "../rules/config/shadowed-config.js";
import { rule as classNotCreated } from "../rules/do/class-not-created.js";
import { rule as deletedClassStillBound } from "../rules/do/deleted-class-still-bound.js";
import { rule as deletedClasses } from "../rules/do/deleted-classes.js";
import { rule as exportsDeleted } from "../rules/do/exports-deleted.js";
import { rule as invalidMigrationTags } from "../rules/do/invalid-migration-tags.js";
import { rule as migrationsAndExports } from "../rules/do/migrations-and-exports.js";
import { rule as migrationsNotAppendOnly } from "../rules/do/migrations-not-append-only.js";
import { rule as newClassesToSqlite } from "../rules/do/new-classes-to-sqlite.js";
import { rule as renameTargetNotExported } from "../rules/do/rename-target-not-exported.js";
import { rule as deadLetterQueueIsSelf } from "../rules/queues/dead-letter-queue-is-self.js";
import { rule as noDeadLetterQueue } from "../rules/queues/no-dead-letter-queue.js";
import { rule as noRetryDelay } from "../rules/queues/no-retry-delay.js";
import { rule as v8WithPullConsumer } from "../rules/queues/v8-content-type-with-pull-consumer.js";
import { configAtRef } from "./git-base.js";
import type { ConfigRule, ConfigRuleContext } from "./rule.js";
import { configSections } from "./sections.js";
import { applySuppressions, configComments, nextConfigLine, scopeSuppressions } from "./suppressions.js";

export const configRules: readonly ConfigRule[] = [
  deletedClasses,
  exportsDeleted,
  deletedClassStillBound,
  classNotCreated,
  invalidMigrationTags,
  renameTargetNotExported,
  newClassesToSqlite,
  migrationsAndExports,
  migrationsNotAppendOnly,
  noDeadLetterQueue,
  deadLetterQueueIsSelf,
  noRetryDelay,
  v8WithPullConsumer,
  shadowedConfig,
];

function entryExportsOf(worker: WranglerConfig): () => Set<string> | undefined {
  let cached: { value: Set<string> | undefined } | undefined;
  return () => {
    if (!cached)
      cached = { value: worker.main ? moduleExports(resolve(dirname(worker.path), worker.main)) : undefined };
    return cached.value;
  };
}

/** Suppression comments in the config drop the findings on the line that follows them. */
function suppressed(worker: WranglerConfig, file: string, findings: Finding[]): Finding[] {
  const { scoped, problems } = scopeSuppressions(
    file,
    configComments(worker.text, worker.format),
    nextConfigLine(worker.text),
    worker.text.split("\n").length,
  );
  return [...applySuppressions(findings, scoped), ...problems];
}

/**
 * The wrangler config analyzer: Durable Object migrations and exports (with `--base`, history against a git ref)
 * and queue consumers, over every config of the project and each of its envs.
 *
 * @example
 * await runCheck("examples/shop", { analyzers: [createConfigAnalyzer()] });
 */
export function createConfigAnalyzer({ rules = configRules }: { rules?: readonly ConfigRule[] } = {}): Analyzer {
  return {
    name: "config",
    async analyze({ project, options, progress }: AnalyzerContext) {
      const projectSections = project.workers.flatMap((worker) =>
        configSections(worker).map((section) => ({ worker, file: relativeTo(project.root, worker.path), section })),
      );
      const findings: Finding[] = [];
      for (const worker of project.workers) {
        const file = relativeTo(project.root, worker.path);
        progress?.(file);
        const ctx: ConfigRuleContext = {
          project,
          worker,
          file,
          sections: projectSections.filter((p) => p.worker === worker).map((p) => p.section),
          projectSections,
          entryExports: entryExportsOf(worker),
          base: options.base ? configAtRef(worker.path, options.base) : undefined,
          baseRef: options.base,
        };
        findings.push(
          ...suppressed(
            worker,
            file,
            rules.flatMap((r) => r.check(ctx)),
          ),
        );
      }
      return { findings };
    },
  };
}
