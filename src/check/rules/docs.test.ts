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

describe("rule registry", () => {
  it("lists every rule that a file under src/check/rules declares, so a new rule cannot be missed", async () => {
    const { readdirSync } = await import("node:fs");
    const root = new URL(".", import.meta.url);
    const declared: string[] = [];
    for (const area of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const f of readdirSync(new URL(`${area.name}/`, root))) {
        if (!f.endsWith(".ts") || f.endsWith(".test.ts") || f === "index.ts") continue;
        const mod = (await import(new URL(`${area.name}/${f}`, root).href)) as {
          meta?: { id?: string };
          rule?: { meta?: { id?: string } };
          default?: { meta?: { id?: string } };
        };
        const id = mod.meta?.id ?? mod.rule?.meta?.id ?? mod.default?.meta?.id;
        if (id) declared.push(id);
      }
    }
    const registered = new Set(metas.map((m) => m.id));
    expect(declared.length).toBeGreaterThan(40);
    expect(declared.filter((id) => !registered.has(id))).toEqual([]);
  });
});
