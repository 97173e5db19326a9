import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlastwallError } from "../../core/errors.js";
import { createConfigAnalyzer } from "../config/analyzer.js";
import { findingsOf, writeProject } from "../config/fixture.js";
import { runCheck } from "../run-check.js";
import { createCodeAnalyzer } from "./analyzer.js";
import { MAX_SOURCE_BYTES } from "./source.js";

const analyzers = [createConfigAnalyzer(), createCodeAnalyzer()];
const CONFIG = `name = "w"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\n`;

describe("bad input never crashes the check", () => {
  it("skips unparsable TypeScript with a warning naming the file and line, and checks the rest", async () => {
    const dir = writeProject({
      "wrangler.toml": `${CONFIG}[[durable_objects.bindings]]\nname = "R"\nclass_name = "Room"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n`,
      "src/index.ts": 'export { Room } from "./room.js";\nexport default { fetch() { return new Response(); } };\n',
      "src/room.ts": "export class Room {}\n",
      "src/broken.ts": "export function f( {\n  return 1;\n",
      "src/singleton.ts": 'export const f = (env: Env) => env.R.idFromName("x");\n',
    });
    const found = await findingsOf(dir, analyzers);
    expect(found.map((f) => [f.rule, f.file])).toEqual([
      ["code/skipped-file", "src/broken.ts"],
      ["code/singleton-durable-object", "src/singleton.ts"],
    ]);
    expect(found[0]?.message).toContain("src/broken.ts");
    expect(found[0]).toMatchObject({ severity: "warning", line: 2 });
  });

  it("skips huge files, ignores tests and node_modules, and survives a symlink loop", async () => {
    const dir = writeProject({
      "wrangler.toml": CONFIG,
      "src/index.ts": "export default {};\n",
      "src/index.test.ts": 'env.R.idFromName("x");\n',
      "src/node_modules/x/index.ts": "export function broken( {\n",
    });
    writeFileSync(join(dir, "src", "bundle.js"), `// generated\n${"x".repeat(MAX_SOURCE_BYTES + 1)}\n`);
    mkdirSync(join(dir, "src", "nested"));
    symlinkSync(join(dir, "src"), join(dir, "src", "nested", "loop"));
    symlinkSync(join(dir, "src", "nested"), join(dir, "src", "nested", "self.ts"));
    const found = await findingsOf(dir, analyzers);
    expect(found.map((f) => [f.rule, f.file])).toEqual([["code/skipped-file", "src/bundle.js"]]);
    expect(found[0]?.message).toMatch(/larger than 1000 kB/);
  });

  it("says once that an unbuilt main was not analysed, at the config, without absolute paths", async () => {
    const dir = writeProject({
      "wrangler.toml": `name = "w"\nmain = "dist/index.js"\ncompatibility_date = "2025-01-01"\n`,
    });
    const found = await findingsOf(dir, analyzers);
    expect(found.map((f) => [f.rule, f.file, f.line])).toEqual([["code/skipped-file", "wrangler.toml", 2]]);
    expect(found[0]?.message).toContain("not built yet");
    expect(JSON.stringify(found)).not.toContain(dir);
  });

  it("says why a Pages project's code is not read, in the finding and in the progress line", async () => {
    const dir = writeProject({
      "wrangler.jsonc": `{ "name": "p", "pages_build_output_dir": "dist", "compatibility_date": "2025-01-01" }\n`,
      "functions/api/[id].ts": "export const onRequest = () => new Response();\n",
    });
    const lines: string[] = [];
    const { findings } = await runCheck(dir, { analyzers, onProgress: (_a, d) => lines.push(d) });
    expect(findings.map((f) => [f.rule, f.severity, f.file])).toEqual([
      ["code/skipped-file", "info", "wrangler.jsonc"],
    ]);
    expect(findings[0]?.message).toContain("a Pages project");
    expect(findings[0]?.fix).not.toContain("set `main`");
    expect(lines).toContain(`wrangler.jsonc: 0 source files (code not analysed: ${findings[0]?.data?.reason})`);
  });

  it("reports a file nested too deep for the stack as skipped instead of crashing", async () => {
    const deep = `export const x = ${"(".repeat(20_000)}1${")".repeat(20_000)};\n`;
    const dir = writeProject({ "wrangler.toml": CONFIG, "src/index.ts": "export default {};\n", "src/deep.ts": deep });
    const found = await findingsOf(dir, analyzers);
    expect(found.map((f) => [f.rule, f.file])).toEqual([["code/skipped-file", "src/deep.ts"]]);
  });

  it("turns a malformed TOML or JSONC config into exit 2 naming file, line and column", async () => {
    const toml = writeProject({ "wrangler.toml": `name = "w"\n[[migrations]\ntag = "v1"\n` });
    const err = await runCheck(toml, { analyzers }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlastwallError);
    expect((err as BlastwallError).kind).toBe("input");
    expect((err as BlastwallError).location).toMatchObject({ file: join(toml, "wrangler.toml"), line: 2 });
    expect((err as BlastwallError).location?.column).toBeGreaterThan(0);
    const jsonc = writeProject({ "wrangler.jsonc": `{\n  "name": "w",\n  "migrations": [ { "tag": } ]\n}\n` });
    const err2 = await runCheck(jsonc, { analyzers }).catch((e: unknown) => e);
    expect((err2 as BlastwallError).location).toEqual({ file: join(jsonc, "wrangler.jsonc"), line: 3, column: 28 });
  });

  it("checks examples/shop clean", async () => {
    expect(await findingsOf("examples/shop", analyzers)).toEqual([]);
  });
});
