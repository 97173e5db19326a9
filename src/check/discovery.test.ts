import { describe, expect, it } from "vitest";
import { BlastwallError } from "../core/errors.js";
import { writeProject } from "./config/fixture.js";
import { TEST_WRANGLER } from "./d1/testing.js";
import { runCheck } from "./run-check.js";

const WRANGLER_498 = { "node_modules/wrangler/package.json": JSON.stringify({ name: "wrangler", version: "4.98.0" }) };
const DROP = "ALTER TABLE t DROP COLUMN b;\n";

describe("check reads what wrangler reads", () => {
  it("follows migrations_pattern (wrangler 4.98+) into drizzle folders, in wrangler's order", async () => {
    const dir = writeProject({
      ...WRANGLER_498,
      "wrangler.toml": `${TEST_WRANGLER}migrations_pattern = "migrations/*/migration.sql"\n`,
      "src/index.ts": "export default {};\n",
      "migrations/0000_init/migration.sql": "CREATE TABLE t (a, b);\n",
      "migrations/0001_drop/migration.sql": DROP,
      "migrations/0001_drop/snapshot.json": "{}",
    });
    const r = await runCheck(dir);
    expect(r.migrations.map((m) => m.file)).toEqual([
      "migrations/0000_init/migration.sql",
      "migrations/0001_drop/migration.sql",
    ]);
    expect(r.findings.some((f) => f.rule === "d1/drop-column" && f.file === "migrations/0001_drop/migration.sql")).toBe(
      true,
    );
  });

  it("refuses a migrations_pattern outside migrations_dir, as wrangler does, naming the line", async () => {
    const dir = writeProject({
      ...WRANGLER_498,
      "wrangler.toml": `${TEST_WRANGLER}migrations_pattern = "db/*.sql"\n`,
      "src/index.ts": "export default {};\n",
    });
    await expect(runCheck(dir)).rejects.toThrow(/must start with migrations_dir/);
  });

  it("reads wrangler.<env>.toml variants and --config files", async () => {
    const dir = writeProject({
      "wrangler.toml": 'name = "app"\nmain = "src/index.ts"\n',
      "wrangler.production.toml": `name = "app"\nmain = "src/index.ts"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\ndeleted_classes = ["Room"]\n`,
      "src/index.ts": "export default {};\n",
    });
    const r = await runCheck(dir);
    expect(r.findings.filter((f) => f.rule === "do/deleted-classes").map((f) => f.file)).toEqual([
      "wrangler.production.toml",
    ]);
    const only = await runCheck(dir, { configs: [`${dir}/wrangler.toml`] });
    expect(only.findings.filter((f) => f.rule === "do/deleted-classes")).toEqual([]);
  });

  it("reads a second Worker's config named with a dash (wrangler-cron.toml), not a dashed template", async () => {
    const deleting = `name = "cron"\nmain = "src/index.ts"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\ndeleted_classes = ["Room"]\n`;
    const dir = writeProject({
      "wrangler.toml": 'name = "app"\nmain = "src/index.ts"\n',
      "wrangler-cron.toml": deleting,
      "wrangler-sample.toml": deleting,
      "src/index.ts": "export default {};\n",
    });
    const r = await runCheck(dir);
    expect(r.findings.filter((f) => f.rule === "do/deleted-classes").map((f) => f.file)).toEqual([
      "wrangler-cron.toml",
    ]);
  });

  it("reads a template when it is all the folder has, and names it; fails naming it when it does not parse", async () => {
    const dir = writeProject({ "wrangler.jsonc.example": '{ "name": "app" }', "src/index.ts": "export default {};\n" });
    const r = await runCheck(dir);
    const f = r.findings.find((x) => x.rule === "config/unread-template");
    expect([f?.file, f?.severity]).toEqual(["wrangler.jsonc.example", "info"]);
    expect(f?.message).toContain("the project folder has no wrangler.jsonc: checked the template in its place");
    const broken = writeProject({
      "wrangler.toml.template": "name = {{NAME}}\n",
      "src/index.ts": "export default {};\n",
    });
    const err = await runCheck(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlastwallError);
    expect((err as BlastwallError).message).toContain("wrangler.toml.template");
    expect((err as BlastwallError).fix).toContain("cp wrangler.toml.template wrangler.toml");
  });

  it("reads the template of the default config beside a variant that is another app (wrangler.pages.toml)", async () => {
    const dir = writeProject({
      "wrangler.pages.toml": 'name = "site"\npages_build_output_dir = "dist"\n',
      "wrangler.example.toml":
        'name = "api"\nmain = "src/index.ts"\n[[migrations]]\ntag = "v1"\ndeleted_classes = ["Room"]\n',
      "wrangler.production.toml.example": 'name = "api-prod"\n',
      "wrangler.production.toml": 'name = "api-prod"\nmain = "src/index.ts"\n',
      "src/index.ts": "export default {};\n",
    });
    const r = await runCheck(dir);
    const unread = r.findings.filter((f) => f.rule === "config/unread-template");
    // The example stands in for the missing wrangler.toml; the production one has its real config beside it.
    expect(unread.map((f) => [f.file, f.data?.read])).toEqual([["wrangler.example.toml", true]]);
  });

  it("checks a Worker folder that holds only templates when other folders have configs, and says so", async () => {
    const template = `name = "jobs"\nmain = "src/index.ts"\n[[migrations]]\ntag = "v1"\nnew_classes = ["Room"]\n[[migrations]]\ntag = "v2"\ndeleted_classes = ["Room"]\n`;
    const dir = writeProject({
      "api/wrangler.toml": 'name = "api"\nmain = "src/index.ts"\n',
      "api/src/index.ts": "export default {};\n",
      "api/wrangler.toml.example": 'name = "api-example"\n[[migrations]]\ntag = "v1"\ndeleted_classes = ["X"]\n',
      "jobs/wrangler.toml.template": template,
      "jobs/src/index.ts": "export default {};\n",
      "mail/wrangler.email.example.json": '{ "name": "mail" }',
      "web/wrangler.sample.jsonc": "{ name: {{NAME}} }",
    });
    const r = await runCheck(dir);
    const unread = r.findings.filter((f) => f.rule === "config/unread-template");
    expect(unread.map((f) => [f.file, f.data?.read])).toEqual([
      ["jobs/wrangler.toml.template", true],
      ["mail/wrangler.email.example.json", true],
      ["web/wrangler.sample.jsonc", false],
    ]);
    expect(unread[2]?.message).toContain("does not parse");
    // The template's Durable Object history is checked; the example next to a real config is not read.
    expect(r.findings.filter((f) => f.rule === "do/deleted-classes").map((f) => f.file)).toEqual([
      "jobs/wrangler.toml.template",
    ]);
    // --config reads a template in the format its name gives.
    const only = await runCheck(dir, { configs: [`${dir}/jobs/wrangler.toml.template`] });
    expect(only.findings.filter((f) => f.rule === "do/deleted-classes").map((f) => f.file)).toEqual([
      "jobs/wrangler.toml.template",
    ]);
  });

  it("checks the other configs when one does not parse, and names it with its line and a fix", async () => {
    const dir = writeProject({
      "wrangler.toml": 'name = "api"\nmain = "src/index.ts"\n[[migrations]]\ntag = "v1"\ndeleted_classes = ["Room"]\n',
      "wrangler-proxy.toml": '{\n  "name": "proxy",\n  "main": "src/index.ts"\n}\n',
      "jobs/wrangler.jsonc": '{\n  "name": "jobs",\n  "main": \n}\n',
      "src/index.ts": "export default {};\n",
    });
    const r = await runCheck(dir);
    const broken = r.findings.filter((f) => f.rule === "config/unreadable-config");
    expect(broken.map((f) => [f.file, f.line, f.severity])).toEqual([
      ["jobs/wrangler.jsonc", 4, "error"],
      ["wrangler-proxy.toml", 1, "warning"],
    ]);
    expect(broken[1]?.fix).toContain("rename it to wrangler-proxy.jsonc");
    // The config that parses is still checked.
    expect(r.findings.filter((f) => f.rule === "do/deleted-classes").map((f) => f.file)).toEqual(["wrangler.toml"]);
    // When nothing parses, check stops at the first one, naming it.
    const none = writeProject({ "wrangler-a.toml": "{\n", "wrangler.toml": "name = \n" });
    const err = await runCheck(none).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlastwallError);
    expect((err as BlastwallError).location?.file).toContain("wrangler");
  });

  it("says a Python Worker's code is not analysed (info) instead of parsing entry.py as TypeScript", async () => {
    const dir = writeProject({
      "wrangler.toml": 'name = "py"\nmain = "src/entry.py"\ncompatibility_flags = ["python_workers"]\n',
      "src/entry.py": 'from workers import Response\n\ndef on_fetch(request):\n    return Response("it\'s fine")\n',
    });
    const r = await runCheck(dir);
    const code = r.findings.filter((f) => f.rule === "code/skipped-file").map((f) => [f.file, f.severity, f.message]);
    expect(code).toEqual([
      ["wrangler.toml", "info", expect.stringContaining('code not analysed: main "src/entry.py" is a Python Worker')],
    ]);
  });

  it("says why code was not analysed, and warns about a second config in one folder", async () => {
    const dir = writeProject({
      "a/wrangler.jsonc": JSON.stringify({ name: "a", main: "dist/index.js" }),
      "a/wrangler.toml": 'name = "old"\n',
      "b/wrangler.toml": 'name = "b"\nmain = "@acme/worker"\n',
    });
    const r = await runCheck(dir);
    const why = r.findings.filter((f) => f.message.startsWith("code not analysed")).map((f) => [f.file, f.severity]);
    expect(why).toEqual([
      ["a/wrangler.jsonc", "warning"],
      ["b/wrangler.toml", "warning"],
    ]);
    expect(r.findings.find((f) => f.file === "a/wrangler.jsonc" && f.rule === "code/skipped-file")?.message).toContain(
      "build output",
    );
    expect(r.findings.filter((f) => f.rule === "config/shadowed-config").map((f) => f.file)).toEqual([
      "a/wrangler.jsonc",
    ]);
  });
});
