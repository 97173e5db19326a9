import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyEdits, modify, parse } from "jsonc-parser";
import type { InitPlan } from "../src/init/index.js";

/** Merges init's wrangler snippet (`"key": value,` lines) into a wrangler.jsonc, appending to arrays. */
function mergeWrangler(file: string, snippet: string): void {
  const add = parse(`{${snippet}}`) as Record<string, unknown>;
  let text = readFileSync(file, "utf8");
  const current = parse(text) as Record<string, unknown>;
  for (const [key, value] of Object.entries(add)) {
    const merged = Array.isArray(value) && Array.isArray(current[key]) ? [...current[key], ...value] : value;
    text = applyEdits(text, modify(text, [key], merged, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
  }
  writeFileSync(file, text);
}

/** Adds the code `init` prints to a project, the way its instructions say (tests of init and of the README). */
export function applySnippets(dir: string, plan: InitPlan): void {
  for (const s of plan.snippets.flatMap((w) => w.snippets)) {
    const file = join(dir, s.file);
    if (s.action === "create") writeFileSync(file, s.code);
    else if (s.language === "jsonc") mergeWrangler(file, s.code);
    else if (s.code.includes("interface Env {")) {
      // "type the bindings": the import, and the binding lines inside the existing Env interface.
      const bindings = s.code.split("\n").filter((l) => /^\s+[A-Z_]+\??:/.test(l));
      const text = readFileSync(file, "utf8").replace("interface Env {", `interface Env {\n${bindings.join("\n")}`);
      writeFileSync(file, `${s.code.split("\n")[0]}\n${text}`);
    } else {
      // "wrap your handler": the new default export replaces the old one.
      writeFileSync(file, `${readFileSync(file, "utf8").replace(/^export default app;\n/m, "")}\n${s.code}\n`);
    }
  }
}
