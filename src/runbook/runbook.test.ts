import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureOutput } from "../../test/cli/capture.js";
import { runCli } from "../cli/main.js";
import { loadProject } from "../project/discover.js";
import { buildRunbook, renderRunbook } from "./index.js";

const shop = new URL("../../examples/shop", import.meta.url).pathname;

/** The lever commands, spelled exactly as the CLI defines them (issue 10). */
const LEVERS = [
  /^blastwall rollback --worker [\w-]+ --target (local|cloudflare)$/,
  /^blastwall queues pause [\w-]+ --target (local|cloudflare)$/,
  /^blastwall queues resume [\w-]+ --target (local|cloudflare)$/,
  /^blastwall queues dlq replay [\w-]+( --dry-run)? --target (local|cloudflare)$/,
  /^blastwall flags set disable_writes (on|off) --target (local|cloudflare)$/,
  /^blastwall flags list --target (local|cloudflare)$/,
  /^blastwall d1 restore [\w-]+ --before \S+ --worker [\w-]+ --target (local|cloudflare)$/,
  /^blastwall d1 restore-points --database [\w-]+ --worker [\w-]+ --target (local|cloudflare)$/,
  /^blastwall deployments list --target (local|cloudflare)$/,
  /^blastwall metrics --since 5m --target (local|cloudflare)$/,
];

describe("runbook for examples/shop", () => {
  const runbook = buildRunbook(loadProject(shop));
  const md = renderRunbook(runbook);

  it("covers the four incidents with this project's names", () => {
    expect([...new Set(runbook.incidents.map((i) => i.id))]).toEqual([
      "compute-regression",
      "queue-consumer-regression",
      "bad-d1-migration",
      "do-migration-issue",
    ]);
    for (const name of ["shop-api", "shop-consumer", "order-events", "order-events-dlq", "Cart"])
      expect(md).toContain(name);
    expect(md).toContain(
      "blastwall d1 restore shop --before 0004_add_orders_item_count.sql --worker shop-api --target cloudflare",
    );
    expect(md).toMatch(/## Bad D1 migration or data issue in shop\n/);
    expect(md).toMatch(/## Durable Object migration issue in Cart \(shop-api\)/);
  });

  it("writes DO incidents only for the app's own classes, each with its own migration tag", () => {
    const dos = runbook.incidents.filter((i) => i.id === "do-migration-issue");
    expect(dos.map((i) => i.subject)).toEqual(["Cart"]);
    expect(md).not.toContain("migration issue in BlastwallOpsFlags");
    expect(dos[0]?.symptoms).toContain("(tags: v1)");
    const rollback = dos[0]?.steps.find((s) => s.argv?.[0] === "rollback");
    expect(rollback?.note).toContain("Cart's migration (tag v1) stays applied");
  });

  it("puts the buttons in the playbook's order", () => {
    const steps = (id: string) =>
      runbook.incidents
        .filter((i) => i.id === id)
        .flatMap((i) => i.steps.flatMap((s) => (s.command ? [s.command.replace(/ --target cloudflare$/, "")] : [])));
    expect(steps("compute-regression")).toEqual([
      "blastwall metrics --since 5m",
      "blastwall deployments list",
      "blastwall rollback --worker shop-api",
      "blastwall metrics --since 5m",
    ]);
    expect(steps("queue-consumer-regression")).toEqual([
      "blastwall queues pause order-events",
      "blastwall rollback --worker shop-consumer",
      "blastwall queues resume order-events",
      "blastwall metrics --since 5m",
      "blastwall queues dlq replay order-events --dry-run",
      "blastwall queues dlq replay order-events",
    ]);
    const d1 = steps("bad-d1-migration");
    expect(d1[0]).toBe("blastwall flags set disable_writes on");
    expect(d1.at(-3)).toBe("blastwall d1 restore-points --database shop --worker shop-api");
    expect(d1.at(-2)).toMatch(/^blastwall d1 restore shop --before \S+ --worker shop-api$/);
    expect(d1).not.toContain("blastwall deployments list");
    expect(d1.at(-1)).toBe("blastwall flags set disable_writes off");
    expect(d1).toContain("blastwall rollback --worker shop-api");
    expect(d1).toContain("blastwall rollback --worker shop-consumer");
  });

  it("uses only the lever spellings, each with --target", () => {
    const commands = runbook.incidents.flatMap((i) => i.steps.flatMap((s) => (s.command ? [s.command] : [])));
    expect(commands.length).toBeGreaterThan(15);
    for (const c of commands)
      expect(
        LEVERS.some((re) => re.test(c)),
        c,
      ).toBe(true);
    // Every command step carries its argv, spelled exactly as the command a person copies.
    const withArgv = runbook.incidents.flatMap((i) => i.steps.filter((s) => s.command !== undefined));
    expect(withArgv).toHaveLength(commands.length);
    for (const s of withArgv) expect(`blastwall ${(s.argv ?? []).join(" ")}`).toBe(s.command);
  });

  it("names the local target for drills", () => {
    const local = buildRunbook(loadProject(shop), { target: "local" });
    const argvs = local.incidents.flatMap((i) => i.steps.flatMap((s) => (s.argv ? [s.argv] : [])));
    expect(argvs.length).toBeGreaterThan(15);
    for (const argv of argvs) expect(argv.slice(-2)).toEqual(["--target", "local"]);
    expect(argvs.flat()).not.toContain("cloudflare");
    expect(renderRunbook(local)).toContain("blastwall queues pause order-events --target local");
  });

  it("says which incidents do not apply to a project without them", () => {
    const api = loadProject(join(shop, "api"));
    const md2 = renderRunbook(buildRunbook(api, { projectName: "api-only" }));
    expect(md2).toContain("- queue-consumer-regression: this project has nothing it applies to.");
    expect(md2).not.toContain("## Queue consumer regression");
  });
});

describe("runbook for a Worker with fetch, queue and scheduled", () => {
  const dir = new URL("../../test/fixtures/all-in-one", import.meta.url).pathname;
  const runbook = buildRunbook(loadProject(dir));

  it("lists the Worker as all of what it is", () => {
    expect(runbook.workers.map((w) => [w.name, w.kinds])).toEqual([
      ["all-in-one", ["http", "queue-consumer", "scheduled"]],
    ]);
    expect(renderRunbook(runbook)).toContain("| all-in-one | http + queue-consumer + scheduled |");
  });

  it("writes its compute, queue, D1 and DO sections, each about this one Worker", () => {
    const sections = runbook.incidents.map((i) => [i.id, i.subject]);
    expect(sections).toEqual([
      ["compute-regression", "all-in-one"],
      ["queue-consumer-regression", "jobs"],
      ["bad-d1-migration", "app"],
      ["do-migration-issue", "Counter"],
    ]);
    const queue = runbook.incidents.find((i) => i.id === "queue-consumer-regression");
    expect(queue?.plan).toContain("It serves HTTP too");
    expect(queue?.steps.map((s) => s.command)).toContain("blastwall rollback --worker all-in-one --target cloudflare");
    const d1 = runbook.incidents.find((i) => i.id === "bad-d1-migration");
    expect(d1?.steps.map((s) => s.command)).toContain(
      "blastwall d1 restore app --before 0001_create_jobs.sql --worker all-in-one --target cloudflare",
    );
  });
});

describe("blastwall runbook (CLI)", () => {
  const io = captureOutput;

  it("writes RUNBOOK.md with --out and prints what it wrote", async () => {
    const dir = mkdtempSync(join(tmpdir(), "blastwall-runbook-"));
    try {
      const s = io();
      const code = await runCli({
        argv: ["runbook", "--out", "RUNBOOK.md", shop],
        cwd: dir,
        env: { CI: "true" },
        ...s,
      });
      expect(code).toBe(0);
      const written = readFileSync(join(dir, "RUNBOOK.md"), "utf8");
      expect(written).toContain("# Incident runbook: shop");
      expect(written).toContain("blastwall queues pause order-events --target cloudflare");
      expect(s.text().out).toMatch(/wrote RUNBOOK\.md: 4 incident sections .* commands for shop-api, shop-consumer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints JSON with --json and refuses an unknown target with exit 2", async () => {
    const s = io();
    expect(await runCli({ argv: ["runbook", shop, "--json", "--target", "local"], env: { CI: "true" }, ...s })).toBe(0);
    const data = JSON.parse(s.text().out) as { target: string; incidents: unknown[] };
    expect(data.target).toBe("local");
    const bad = io();
    expect(await runCli({ argv: ["runbook", shop, "--target", "prod"], env: { CI: "true" }, ...bad })).toBe(2);
    expect(bad.text().err).toMatch(/unknown --target "prod"[\s\S]*use --target local or --target cloudflare/);
  });
});
