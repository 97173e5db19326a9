#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/bin.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error: blastwall is not built (dist/ is missing)\n  fix: run `npm run build` in the blastwall package\n",
  );
  process.exit(2);
}
await import(entry.href);
