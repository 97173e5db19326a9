import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codeRules } from "../code/analyzer.js";
import { configRules } from "../config/analyzer.js";
import { meta as skippedFile } from "./code/skipped-file.js";
import { d1RuleMetas } from "./d1/index.js";
import { meta as missingReason } from "./suppression/missing-reason.js";

const metas = [
  ...configRules.map((r) => r.meta),
  ...codeRules.map((r) => r.meta),
  skippedFile,
  missingReason,
  ...d1RuleMetas,
];

describe("rule docs", () => {
  it.each(metas.map((m) => [m.id, m]))("%s has docs with Problem, Why and Safe alternative", (id, m) => {
    const path = `docs/rules/${id}.md`;
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, "utf8");
    expect(text).toContain(`\`${id}\` (${m.severity})`);
    for (const part of ["## Problem", "## Why it hurts production", "## Safe alternative"])
      expect(text).toContain(part);
  });
});
