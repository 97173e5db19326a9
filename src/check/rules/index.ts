import { codeRules } from "../code/analyzer.js";
import { configRules } from "../config/analyzer.js";
import type { RuleMeta } from "../findings.js";
import { meta as skippedFile } from "./code/skipped-file.js";
import { d1RuleMetas } from "./d1/index.js";
import { meta as missingReason } from "./suppression/missing-reason.js";

/**
 * Every rule `check` can report, once: SARIF's rule list, the docs test and `--help`-style lists read this.
 * A new rule joins its analyzer's list (config, code, D1 file or folder rules) and shows up here.
 *
 * @example
 * ruleMetas.find((m) => m.id === "d1/drop-table")?.severity; // "error"
 */
export const ruleMetas: readonly RuleMeta[] = [
  ...configRules.map((r) => r.meta),
  ...codeRules.map((r) => r.meta),
  skippedFile,
  missingReason,
  ...d1RuleMetas,
];
