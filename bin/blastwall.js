#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { existsSync, readFileSync } from "node:fs";
import { checkNode } from "./node-check.js";

// Before anything native loads: an unsupported Node gets one line, not a native module's stack trace.
const { engines } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const node = checkNode(process.versions.node, engines.node);
if (node.line) process.stderr.write(`${node.line}\n`);
if (node.level === "error") process.exit(2);

const entry = new URL("../dist/cli/bin.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "error: blastwall is not built (dist/ is missing)\n  fix: run `npm run build` in the blastwall package\n",
  );
  process.exit(2);
}
await import(entry.href);
