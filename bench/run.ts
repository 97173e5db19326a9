import { readdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type Bench, machine } from "./lib.js";

// `npm run bench -- <name>` runs bench/<name>.ts and prints one JSON object.
// `npm run bench` runs them all and writes bench/results.json.
const dir = fileURLToPath(new URL(".", import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "lib.ts"].includes(f) && !f.endsWith(".test.ts"))
  .map((f) => f.slice(0, -3))
  .sort();

async function runOne(name: string): Promise<Record<string, unknown>> {
  const mod = (await import(`./${name}.js`)) as { default: Bench };
  const started = Date.now();
  // The 1, 5 and 15 minute load averages before and after: on a shared machine they say how disturbed the run was.
  const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
  const loadBefore = load();
  const results = await mod.default.run();
  return {
    bench: name,
    description: mod.default.description,
    ...(mod.default.summary ? { summary: mod.default.summary(results) } : {}),
    machine: machine(),
    load: { before: loadBefore, after: load() },
    seconds: Math.round((Date.now() - started) / 100) / 10,
    results,
  };
}

const wanted = process.argv[2];
if (wanted) {
  if (!available.includes(wanted)) {
    process.stderr.write(`error: unknown benchmark "${wanted}"\n  fix: pick one of: ${available.join(", ")}\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await runOne(wanted), null, 2)}\n`);
} else {
  const all: Record<string, unknown>[] = [];
  for (const name of available) {
    process.stderr.write(`▸ bench ${name}\n`);
    const r = await runOne(name);
    all.push(r);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  const out = fileURLToPath(new URL("results.json", import.meta.url));
  writeFileSync(
    out,
    `${JSON.stringify({ machine: machine(), date: new Date().toISOString(), benches: all }, null, 2)}\n`,
  );
  process.stderr.write(`wrote ${out}\n`);
}
