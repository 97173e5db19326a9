import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest global setup for the Node and end-to-end tests: every temp folder a test makes (git fixtures, projects, replays) goes under
 * one folder per run, removed when the run ends, so that `npm test` leaves nothing behind in the system's temp dir.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "blastwall-tests-"));
  const before = process.env.TMPDIR;
  // Test workers start after this and inherit the environment; os.tmpdir() reads TMPDIR.
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
