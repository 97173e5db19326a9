import type { InferredWorker } from "./infer.js";

export interface WorkflowOptions {
  /** The project folder relative to the repository root ("." at the root). */
  project: string;
  /** The branch whose pushes release to production. */
  branch?: string;
}

/**
 * The GitHub Actions workflow `blastwall init --ci` writes: `check` on every pull request (SARIF to code scanning,
 * annotations on the diff), and on a push to the main branch one `release` per HTTP Worker with a job summary.
 * It runs the action that ships inside the npm package, so the version is the one in the lockfile.
 *
 * @example
 * writeFileSync(".github/workflows/blastwall.yml", renderWorkflow(workers, { project: "." }));
 */
export function renderWorkflow(workers: InferredWorker[], { project, branch = "main" }: WorkflowOptions): string {
  const dir = project === "." ? "" : `${project}/`;
  const withProject = project === "." ? "" : `\n          project: ${project}`;
  const releases = workers.filter((w) => w.http);
  const releaseSteps = (releases.length ? releases : workers)
    .map(
      (w) => `      - name: release ${w.name}
        uses: ./${dir}node_modules/blastwall
        with:
          command: release
          worker: ${w.name}
          target: cloudflare${withProject}`,
    )
    .join("\n");
  return `# Written by \`blastwall init --ci\`. The blastwall action ships in the npm package (node_modules/blastwall/action.yml).
name: blastwall

on:
  pull_request:
  push:
    branches: [${branch}]

permissions:
  contents: read
  security-events: write # check's SARIF goes to code scanning

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # check --base reads the base branch's configs
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci${dir ? `\n        working-directory: ${project}` : ""}
      - uses: ./${dir}node_modules/blastwall
        with:
          command: check
          base: \${{ github.event.pull_request.base.sha }} # empty on a push: no history comparison${withProject}

  release:
    if: github.event_name == 'push'
    needs: check
    runs-on: ubuntu-latest
    environment: production
    concurrency: blastwall-release # one release at a time; a killed one resumes on the next run
    env:
      CLOUDFLARE_API_TOKEN: \${{ secrets.CLOUDFLARE_API_TOKEN }}
      CLOUDFLARE_ACCOUNT_ID: \${{ secrets.CLOUDFLARE_ACCOUNT_ID }}
      BLASTWALL_WEBHOOK_URL: \${{ secrets.BLASTWALL_WEBHOOK_URL }} # optional: Slack-compatible notifications
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci${dir ? `\n        working-directory: ${project}` : ""}
${releaseSteps}
`;
}
