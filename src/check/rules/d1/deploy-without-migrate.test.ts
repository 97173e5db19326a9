import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, checkMigrations, TEST_WRANGLER, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/deploy-without-migrate";

const WORKER = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("INSERT INTO orders (status, total, note) VALUES (?, ?, ?)").bind("new", 1, "x").run();
    return new Response("ok");
  },
};
`;

function workflow(steps: string, on = "on:\n  push:\n    branches: [main]\n"): string {
  return `name: deploy\n${on}jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n${steps}`;
}

const DEPLOY = `      - run: npx wrangler deploy\n        env:\n          CLOUDFLARE_API_TOKEN: \${{ secrets.CF }}\n`;

async function found(files: Record<string, string>) {
  const r = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    "migrations/0002_note.sql": "-- a note per order\nALTER TABLE orders ADD COLUMN note TEXT;\n",
    "src/index.ts": WORKER,
    ...files,
  });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags the newest migration's column that code deployed on push uses, when no workflow applies migrations", async () => {
    const [f, more] = await found({ ".github/workflows/deploy.yml": workflow(DEPLOY) });
    expect(more).toBeUndefined();
    expect([f?.file, f?.line, f?.severity]).toEqual(["migrations/0002_note.sql", 2, "warning"]);
    expect(f?.message).toContain(".github/workflows/deploy.yml:10 deploys the Worker on every push");
    expect(f?.message).toContain("uses the column orders.note, which only this file adds");
    expect(f?.fix).toContain("npx wrangler d1 migrations apply app --remote");
  });

  it("reads wrangler-action's default command, and a test job's --local apply does not count as migrating", async () => {
    const steps = `      - run: npx wrangler d1 migrations apply app --local\n      - uses: cloudflare/wrangler-action@v3\n        with:\n          apiToken: \${{ secrets.CF }}\n`;
    const [f] = await found({ ".github/workflows/ci.yml": workflow(steps) });
    expect(f?.message).toContain(".github/workflows/ci.yml:11 deploys");
  });

  it("stays quiet when CI applies the folder: a step, wrangler-action's command, or a predeploy script", async () => {
    const applyStep = `      - run: npx wrangler d1 migrations apply app --remote\n${DEPLOY}`;
    const action = `      - uses: cloudflare/wrangler-action@v3\n        with:\n          command: |\n            d1 migrations apply app --remote\n            deploy\n`;
    for (const steps of [applyStep, action])
      expect(await found({ ".github/workflows/deploy.yml": workflow(steps) }), steps).toEqual([]);
    const viaScript = await found({
      ".github/workflows/deploy.yml": workflow("      - run: npm run deploy\n"),
      "package.json": JSON.stringify({
        scripts: { predeploy: "wrangler d1 migrations apply app --remote", deploy: "wrangler deploy" },
      }),
    });
    expect(viaScript).toEqual([]);
    // A workspace package's script, run through pnpm's filter from another job of the workflow.
    const filtered = await found({
      ".github/workflows/deploy.yml": workflow(`      - run: pnpm --filter @app/api db:migrate:prod\n${DEPLOY}`),
      "package.json": JSON.stringify({ workspaces: ["apps/*"] }),
      "apps/api/package.json": JSON.stringify({
        name: "@app/api",
        scripts: { "db:migrate:prod": "wrangler d1 migrations apply app --remote" },
      }),
    });
    expect(filtered).toEqual([]);
    // A release script that runs the migrate script before deploying.
    const chained = await found({
      ".github/workflows/deploy.yml": workflow("      - run: pnpm cf:release\n"),
      "package.json": JSON.stringify({
        scripts: {
          "db:apply": "wrangler d1 migrations apply DB --remote",
          "cf:release": "pnpm db:apply && wrangler deploy",
        },
      }),
    });
    expect(chained).toEqual([]);
  });

  it("does not read a dry run as a deploy", async () => {
    const dry = "      - run: npx wrangler deploy --dry-run --outdir dist\n";
    expect(await found({ ".github/workflows/ci.yml": workflow(dry) })).toEqual([]);
  });

  it("stays quiet without a push deploy, or when the newest migration adds nothing the code uses", async () => {
    const manual = workflow(DEPLOY, "on:\n  workflow_dispatch:\n");
    expect(await found({ ".github/workflows/deploy.yml": manual })).toEqual([]);
    // The column the code uses came in an earlier file: the newest adds only an index.
    const later = await found({
      ".github/workflows/deploy.yml": workflow(DEPLOY),
      "migrations/0003_index.sql": "CREATE INDEX orders_status ON orders (status);\n",
    });
    expect(later).toEqual([]);
    const unused = await found({
      ".github/workflows/deploy.yml": workflow(DEPLOY),
      "migrations/0003_flag.sql": "ALTER TABLE orders ADD COLUMN archived_flag INTEGER;\n",
    });
    expect(unused).toEqual([]);
  });

  it("passes over a step that deploys another folder of a monorepo", async () => {
    const other = "      - run: npx wrangler deploy\n        working-directory: apps/web\n";
    expect(await found({ ".github/workflows/deploy.yml": workflow(other) })).toEqual([]);
  });

  it("flags a job that deploys first and applies the migrations after, and says when the step hides a failure", async () => {
    const apply = "      - run: npx wrangler d1 migrations apply app --remote || true\n";
    const [f, more] = await found({ ".github/workflows/deploy.yml": workflow(`${DEPLOY}${apply}`) });
    expect(more).toBeUndefined();
    expect([f?.file, f?.line]).toEqual(["migrations/0002_note.sql", 2]);
    expect(f?.message).toContain(
      ".github/workflows/deploy.yml:10 deploys the Worker before the same job applies the migrations (line 13)",
    );
    expect(f?.message).toContain("lets a failed migration pass");
    expect(f?.fix).toContain("Move the migrations step before the deploy step and let it fail the job");
    // One run block, deploy first; and wrangler-action's command with deploy listed before the apply.
    const oneStep =
      "      - run: |\n          npx wrangler deploy\n          npx wrangler d1 migrations apply app --remote\n";
    const action = `      - uses: cloudflare/wrangler-action@v3\n        with:\n          command: |\n            deploy\n            d1 migrations apply app --remote\n`;
    for (const steps of [oneStep, action]) {
      const [g] = await found({ ".github/workflows/deploy.yml": workflow(steps) });
      expect(g?.message, steps).toContain("before the same job applies the migrations");
      expect(g?.message, steps).not.toContain("lets a failed migration pass");
    }
  });

  it("stays quiet when the apply runs first, or in another job or workflow", async () => {
    const first = `      - run: npx wrangler d1 migrations apply app --remote\n${DEPLOY}`;
    expect(await found({ ".github/workflows/deploy.yml": workflow(first) })).toEqual([]);
    // wrangler-action's command that applies, then deploys Pages.
    const action = `      - uses: cloudflare/wrangler-action@v3\n        with:\n          command: |\n            d1 migrations apply app --remote\n            pages deploy dist --project-name app\n`;
    expect(await found({ ".github/workflows/deploy.yml": workflow(action) })).toEqual([]);
    const otherJob = `${workflow(DEPLOY)}  migrate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx wrangler d1 migrations apply app --remote\n`;
    expect(await found({ ".github/workflows/deploy.yml": otherJob })).toEqual([]);
    const otherFile = workflow("      - run: npx wrangler d1 migrations apply app --remote\n");
    expect(
      await found({ ".github/workflows/deploy.yml": workflow(DEPLOY), ".github/workflows/migrate.yml": otherFile }),
    ).toEqual([]);
  });

  it("names the workflow from the project folder when the migrations sit beside it (migrations_dir = ../migrations)", async () => {
    const root = writeProject(
      {
        "api/wrangler.toml": TEST_WRANGLER.replace('migrations_dir = "migrations"', 'migrations_dir = "../migrations"'),
        "api/src/index.ts": WORKER,
        "migrations/0001_base.sql": BASE_MIGRATION,
        "migrations/0002_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;\n",
        ".github/workflows/deploy.yml": workflow(DEPLOY),
      },
      "",
    );
    const r = await runCheck(join(root, "api"), { analyzers: [d1Analyzer] });
    const [f] = r.findings.filter((x) => x.rule === RULE);
    expect(f?.file).toBe("../migrations/0002_note.sql");
    expect(f?.message).toContain("../.github/workflows/deploy.yml:10 deploys the Worker on every push");
  });
});
