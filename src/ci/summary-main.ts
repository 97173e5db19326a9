// `node dist/ci/summary-main.js <release.json> [artifact-url]`: the action's job summary step (markdown on stdout).
import { readFileSync } from "node:fs";
import type { ReleaseReport } from "../release/run.js";
import { renderReleaseSummary } from "./summary.js";

const [file, artifactUrl] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: summary-main.js <release.json> [artifact-url]\n");
  process.exit(2);
}
let report: ReleaseReport;
try {
  report = JSON.parse(readFileSync(file, "utf8")) as ReleaseReport;
} catch (err) {
  process.stdout.write(`## blastwall release: no report\n\n${(err as Error).message}\n`);
  process.exit(0);
}
process.stdout.write(renderReleaseSummary(report, artifactUrl ? { artifactUrl } : {}));
