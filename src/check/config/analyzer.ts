import { dirname, resolve } from "node:path";
import { relativeTo } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { Analyzer, AnalyzerContext } from "../analyzer.js";
import { moduleExports } from "../code/module-exports.js";
import { handlerDelaysRetries, queueHandlers } from "../code/queue-handlers.js";
import { parseSourceFile } from "../code/source.js";
import type { Finding } from "../findings.js";
import { rules as allRules } from "../rules/index.js";
import { report } from "../rules/report.js";
import type { Rule } from "../rules/rule.js";
import { configAtRef } from "./git-base.js";
import type { ConfigRuleContext } from "./rule.js";
import { configSections } from "./sections.js";
import { applySuppressions, configComments, nextConfigLine, scopeSuppressions } from "./suppressions.js";

function entryExportsOf(worker: WranglerConfig): () => Set<string> | undefined {
  let cached: { value: Set<string> | undefined } | undefined;
  return () => {
    if (!cached)
      cached = { value: worker.main ? moduleExports(resolve(dirname(worker.path), worker.main)) : undefined };
    return cached.value;
  };
}

function queueDelaysRetriesOf(worker: WranglerConfig): () => boolean | undefined {
  let cached: { value: boolean | undefined } | undefined;
  return () => {
    if (!cached) {
      const parsed = worker.main ? parseSourceFile(resolve(dirname(worker.path), worker.main)) : undefined;
      const handlers = parsed?.ok ? queueHandlers(parsed.sf) : [];
      const verdicts = handlers.map(handlerDelaysRetries);
      cached = {
        value: verdicts.length > 0 && verdicts.every((v) => v !== undefined) ? verdicts.every(Boolean) : undefined,
      };
    }
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
export function createConfigAnalyzer({ rules = allRules }: { rules?: readonly Rule[] } = {}): Analyzer {
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
          queueDelaysRetries: queueDelaysRetriesOf(worker),
          base: options.base ? configAtRef(worker.path, options.base) : undefined,
          baseRef: options.base,
        };
        findings.push(
          ...suppressed(
            worker,
            file,
            rules.flatMap((r) => (r.checkConfig?.(ctx) ?? []).map((h) => report(r.meta, h, file))),
          ),
        );
      }
      return { findings };
    },
  };
}
