import { runCli } from "./main.js";

const controller = new AbortController();
let interrupts = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    interrupts++;
    // First signal: let the running command stop at a defined point. Second: leave now.
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${sig}`));
  });
}

const code = await runCli({ argv: process.argv.slice(2), signal: controller.signal });
process.exitCode = code;
