import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ruleMetas as metas } from "./index.js";

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
