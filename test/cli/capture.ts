import { PassThrough } from "node:stream";

/** Stdout and stderr streams for `runCli` in tests, and what was written to them. */
export function captureOutput() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += String(d);
  });
  stderr.on("data", (d) => {
    err += String(d);
  });
  return { stdout, stderr, text: () => ({ out, err }) };
}
