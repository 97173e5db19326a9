// Fails the build when package.json's "exports" or "bin" point at a file that does not exist.
import { existsSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const targets = [];
const collect = (key, value) => {
  if (typeof value === "string") targets.push([key, value]);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(`${key} ${k}`, v);
};
collect("exports", pkg.exports ?? {});
collect("bin", pkg.bin ?? {});
const missing = targets.filter(([, p]) => !existsSync(new URL(`../${p}`, import.meta.url)));
for (const [key, p] of missing)
  process.stderr.write(`error: package.json ${key} points at ${p}, which the build did not produce\n`);
if (missing.length > 0) {
  process.stderr.write("  fix: add the source file under src/, or remove the entry from package.json\n");
  process.exit(1);
}
process.stdout.write(`exports ok: ${targets.length} entries point at files\n`);
