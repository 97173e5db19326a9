import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";
import type { Finding } from "../check/findings.js";
import { BlastwallError } from "../core/errors.js";
import type { WranglerConfig } from "../project/wrangler-config.js";

/** The release gates: `blastwall check`, then `wrangler deploy --dry-run`, which also yields the bundle's hash. */

export interface CheckGateResult {
  ok: boolean;
  errors: Finding[];
  /** Every finding, warnings included, for the release report. */
  findings?: Finding[];
  warnings: number;
  /** One line with the numbers. */
  summary: string;
}

/** Runs `blastwall check` on the project; any error-severity finding closes the gate. */
export async function checkGate(projectDir: string): Promise<CheckGateResult> {
  // Loaded when the gate runs: the check engine (TypeScript, every rule) is most of what `plan --help` would load.
  const { runCheck } = await import("../check/run-check.js");
  const result = await runCheck(projectDir);
  const errors = result.findings.filter((f) => f.severity === "error");
  const warnings = result.findings.filter((f) => f.severity === "warning").length;
  return {
    ok: errors.length === 0,
    errors,
    findings: result.findings,
    warnings,
    summary: `${errors.length} errors, ${warnings} warnings in ${result.migrations.length} migrations and the configs`,
  };
}

export interface DryRunResult {
  /** sha256 of the built modules plus the compatibility settings: what "the code changed" means. */
  bundleHash: string;
  /** Bundle size in bytes. */
  bytes: number;
}

/** Colour codes wrangler writes even with NO_COLOR. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** Hashes a wrangler --outdir: modules only (no source maps, no README, which carries a timestamp). */
export function hashBundle(
  outdir: string,
  config: Pick<WranglerConfig, "compatibility_date" | "compatibility_flags">,
): DryRunResult {
  const hash = createHash("sha256");
  hash.update(`compat=${config.compatibility_date ?? ""};flags=${[...config.compatibility_flags].sort().join(",")}\n`);
  let bytes = 0;
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith(".map") && e.name !== "README.md") files.push(p);
    }
  };
  walk(outdir);
  for (const f of files.sort()) {
    const body = readFileSync(f);
    bytes += body.length;
    hash.update(relative(outdir, f));
    hash.update("\0");
    hash.update(body);
  }
  return { bundleHash: hash.digest("hex"), bytes };
}

export interface DryRunOptions {
  env?: string;
  signal?: AbortSignal;
}

/**
 * `wrangler deploy --dry-run`: validates the config, bundling and migrations without touching the platform.
 *
 * @example
 * const { bundleHash } = await dryRunGate(loadWranglerConfig("examples/shop/api/wrangler.jsonc"));
 */
export async function dryRunGate(config: WranglerConfig, { env, signal }: DryRunOptions = {}): Promise<DryRunResult> {
  const outdir = mkdtempSync(join(tmpdir(), "blastwall-dry-run-"));
  const configPath = resolvePath(config.path);
  const args = [
    wranglerBin(),
    "deploy",
    "--dry-run",
    "--outdir",
    outdir,
    "-c",
    configPath,
    ...(env ? ["--env", env] : []),
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: dirname(configPath),
          env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" },
          timeout: 180_000,
          maxBuffer: 16 * 1024 * 1024,
          ...(signal ? { signal } : {}),
        },
        (err, _stdout, stderr) => {
          if (!err) return resolve();
          const lines = String(stderr)
            .replace(ANSI, "")
            .split("\n")
            .filter((l) => l.trim() && !l.includes("Logs were written"));
          const first = lines.findIndex((l) => l.includes("[ERROR]"));
          const tail = (first >= 0 ? lines.slice(first, first + 8) : lines.slice(-8)).join("\n");
          reject(
            new BlastwallError(`wrangler deploy --dry-run failed:\n${tail || err.message}`, {
              kind: "failure",
              location: { file: config.path },
              fix: `run \`npx wrangler deploy --dry-run -c ${config.path}\` and fix what it reports`,
            }),
          );
        },
      );
    });
    return hashBundle(outdir, config);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The identity of what a version runs: the bundle hash, plus any vars baked in at upload (`release --var`), since
 * they change behaviour as much as code does.
 */
export function withVars(bundleHash: string, vars: Readonly<Record<string, string>> = {}): string {
  const keys = Object.keys(vars).sort();
  if (keys.length === 0) return bundleHash;
  const hash = createHash("sha256").update(bundleHash);
  for (const k of keys) hash.update(`\0${k}=${vars[k]}`);
  return hash.digest("hex");
}

/** Parses repeated `--var KEY=VALUE` flags. */
export function parseVars(list: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i <= 0) {
      throw new BlastwallError(`--var ${item}: expected KEY=VALUE`, { fix: "write it as --var FEATURE_X=on" });
    }
    vars[item.slice(0, i)] = item.slice(i + 1);
  }
  return vars;
}
