// Builds dist/: the Node side (CLI, check, release, platform) and the Workers-side runtime exports.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url);
const tsc = new URL("node_modules/typescript/bin/tsc", root).pathname;
rmSync(new URL("dist", root), { recursive: true, force: true });
const run = (project) => execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit", cwd: root });

run("tsconfig.build.json");
const runtime = new URL("src/runtime", root);
if (existsSync(runtime) && readdirSync(runtime).length > 0) run("tsconfig.build-runtime.json");
execFileSync(process.execPath, [new URL("scripts/check-exports.mjs", root).pathname], { stdio: "inherit" });
