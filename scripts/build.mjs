// Builds dist/: the Node side (CLI, check, release, platform) and the Workers-side runtime exports.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url);
const tsc = new URL("node_modules/typescript/bin/tsc", root).pathname;
rmSync(new URL("dist", root), { recursive: true, force: true });
const run = (project) => execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit", cwd: root });

run("tsconfig.build.json");
// Browser assets of the dashboard and report ship beside the compiled UI module.
cpSync(new URL("src/ui/assets", root), new URL("dist/ui/assets", root), { recursive: true });
const runtime = new URL("src/runtime", root);
if (existsSync(runtime) && readdirSync(runtime).length > 0) run("tsconfig.build-runtime.json");
execFileSync(process.execPath, [new URL("scripts/check-exports.mjs", root).pathname], { stdio: "inherit" });
