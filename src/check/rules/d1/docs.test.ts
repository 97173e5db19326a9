import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { d1RuleMetas } from "./index.js";

const docs = fileURLToPath(new URL("../../../../docs/rules/", import.meta.url));

describe("D1 rule docs", () => {
  it.each(d1RuleMetas.map((m) => [m.id, m]))(
    "%s has docs with problem / why / safe alternative and its severity",
    (id, meta) => {
      const path = `${docs}${id}.md`;
      expect(existsSync(path)).toBe(true);
      const text = readFileSync(path, "utf8");
      expect(text).toContain(`# ${id}`);
      expect(text).toContain("## Problem");
      expect(text).toContain("## Why it hurts production");
      expect(text).toContain("## Safe alternative");
      expect(text).toContain(`**${meta.severity}**`);
    },
  );
  it("rule ids are unique", () => {
    expect(new Set(d1RuleMetas.map((m) => m.id)).size).toBe(d1RuleMetas.length);
  });
});
