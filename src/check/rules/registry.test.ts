import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ruleMetas, rules } from "./index.js";
import type { RuleChecks } from "./rule.js";

const root = fileURLToPath(new URL(".", import.meta.url));
const file = `${root}index.ts`;
const REGENERATE = "BLASTWALL_WRITE_RULE_REGISTRY=1 npx vitest run src/check/rules/registry.test.ts";

/** Every `<area>/<name>.ts` under src/check/rules (tests left out), sorted, with its text. */
function ruleFolderFiles(): { path: string; text: string }[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(`${root}${d.name}`)
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
        .map((f) => `${d.name}/${f}`),
    )
    .sort()
    .map((path) => ({ path, text: readFileSync(`${root}${path}`, "utf8") }));
}

const isRuleFile = (text: string) => /^export default defineRule\(/m.test(text);

/** `do/deleted-classes.ts` → `doDeletedClasses`. */
const importName = (path: string) =>
  path.replace(/\.ts$/, "").replace(/[/-]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The registry's text for the rule files as they are. */
function generated(): string {
  const paths = ruleFolderFiles()
    .filter((f) => isRuleFile(f.text))
    .map((f) => f.path);
  return [
    "// Generated from the rule files under src/check/rules/<area>/ by src/check/rules/registry.test.ts; do not edit.",
    `// Regenerate with ${REGENERATE}`,
    ...[
      { from: "../findings.js", line: 'import type { RuleMeta } from "../findings.js";' },
      { from: "./rule.js", line: 'import type { Rule } from "./rule.js";' },
      ...paths.map((p) => {
        const from = `./${p.replace(/\.ts$/, ".js")}`;
        return { from, line: `import ${importName(p)} from "${from}";` };
      }),
    ]
      .sort((a, b) => (a.from < b.from ? -1 : 1))
      .map((i) => i.line),
    "",
    "/** Every rule, in file order: the analyzers run them, and SARIF, the docs test and rule lists read them. */",
    "export const rules: readonly Rule[] = [",
    ...paths.map((p) => `  ${importName(p)},`),
    "];",
    "",
    "/** Every rule's metadata, in the same order. */",
    "export const ruleMetas: readonly RuleMeta[] = rules.map((r) => r.meta);",
    "",
  ].join("\n");
}

describe("the rule registry", () => {
  it(`is generated from the rule files (when stale: ${REGENERATE})`, () => {
    if (process.env.BLASTWALL_WRITE_RULE_REGISTRY === "1") {
      writeFileSync(file, generated());
    }
    expect(readFileSync(file, "utf8"), `src/check/rules/index.ts is stale: run ${REGENERATE}`).toBe(generated());
  });

  it("holds every rule once, as the default export of the file its id names", () => {
    const files = ruleFolderFiles().filter((f) => isRuleFile(f.text));
    expect(files.length).toBeGreaterThan(50);
    expect(rules.length).toBe(files.length);
    expect(ruleMetas.map((m) => `${m.id}.ts`)).toEqual(files.map((f) => f.path));
    expect(new Set(ruleMetas.map((m) => m.id)).size).toBe(rules.length);
  });

  it("has no rule declared outside the contract: a file with a rule's metadata default-exports defineRule", () => {
    const outside = ruleFolderFiles()
      .filter((f) => /\bRuleMeta\b|\bmeta: \{/.test(f.text) && !isRuleFile(f.text))
      .map((f) => f.path);
    expect(outside).toEqual([]);
  });

  it("gives every rule a check, so no rule is metadata with its detection elsewhere", () => {
    const kinds: (keyof RuleChecks)[] = [
      "checkConfig",
      "checkSource",
      "checkProject",
      "checkMigration",
      "checkFolder",
      "checkFinalSchema",
      "checkSuppressions",
    ];
    expect(rules.filter((r) => !kinds.some((k) => typeof r[k] === "function")).map((r) => r.meta.id)).toEqual([]);
  });
});
