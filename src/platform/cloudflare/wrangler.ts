import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { redact } from "./redact.js";

/** One line of wrangler's structured output (`WRANGLER_OUTPUT_FILE_PATH`, ND-JSON). */
export interface WranglerOutputEntry {
  type: string;
  version?: number;
  [key: string]: unknown;
}

export interface WranglerRun {
  entries: WranglerOutputEntry[];
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A wrangler command that failed. `code` is the API error code wrangler reported (`command-failed`), if any. */
export class WranglerError extends BlastwallError {
  readonly code: number | undefined;
  readonly args: readonly string[];
  constructor(message: string, code: number | undefined, args: readonly string[], fix?: string) {
    super(message, { kind: "failure", fix });
    this.name = "WranglerError";
    this.code = code;
    this.args = args;
  }
}

export interface WranglerRunnerOptions {
  apiToken: string;
  accountId: string;
  /** Passed as CLOUDFLARE_API_BASE_URL when set (contract tests use a loopback server). */
  apiBaseUrl?: string;
  /** Path of wrangler's bin script; default: the wrangler this package depends on. */
  wranglerBin?: string;
  /** Extra environment (e.g. PATH); tokens from it are never echoed. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Kill wrangler after this long. */
  timeoutMs?: number;
}

export type RunWrangler = (args: string[], options?: { cwd?: string }) => Promise<WranglerRun>;

const PASS_THROUGH = [
  "PATH",
  "HOME",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
  "NODE_EXTRA_CA_CERTS",
  "NODE_OPTIONS",
] as const;

function defaultWranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

function parseEntries(text: string): WranglerOutputEntry[] {
  const out: WranglerOutputEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === "object" && v !== null && "type" in v && typeof v.type === "string") {
        out.push(v as WranglerOutputEntry);
      }
    } catch {
      // A torn last line (wrangler killed mid-write) carries nothing we can use.
    }
  }
  return out;
}

/** The API error code inside a wrangler failure message, e.g. "... [code: 10211]". */
function codeIn(text: string): number | undefined {
  const m = /\[code: (\d+)\]/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Runs the real wrangler, non-interactively, and reads its structured output file rather than its text.
 * Wrangler runs with CI=true (prompts take their defaults), metrics and error reports off, no banner (so no
 * update check), and its debug log inside a temp dir that is removed afterwards.
 *
 * @example
 * const run = createWranglerRunner({ apiToken, accountId });
 * const { entries } = await run(["versions", "upload", "--config", "wrangler.jsonc", "--tag", "v2"]);
 */
export function createWranglerRunner({
  apiToken,
  accountId,
  apiBaseUrl,
  wranglerBin = defaultWranglerBin(),
  baseEnv = process.env,
  timeoutMs = 180_000,
}: WranglerRunnerOptions): RunWrangler {
  const secrets = [apiToken];
  return async (args, { cwd } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "blastwall-wrangler-"));
    const outputFile = join(dir, "output.ndjson");
    // Only what wrangler needs to run: nothing else of the caller's environment (other secrets) reaches it.
    const passed = Object.fromEntries(PASS_THROUGH.flatMap((k) => (baseEnv[k] ? [[k, baseEnv[k]]] : [])));
    const env: NodeJS.ProcessEnv = {
      ...passed,
      CLOUDFLARE_API_TOKEN: apiToken,
      CLOUDFLARE_ACCOUNT_ID: accountId,
      ...(apiBaseUrl ? { CLOUDFLARE_API_BASE_URL: apiBaseUrl } : {}),
      WRANGLER_OUTPUT_FILE_PATH: outputFile,
      WRANGLER_LOG_PATH: join(dir, "logs"),
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CI: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    };
    try {
      const { stdout, stderr, exitCode } = await new Promise<{ stdout: string; stderr: string; exitCode: number }>(
        (resolve, reject) => {
          const child = spawn(process.execPath, [wranglerBin, ...args], {
            cwd,
            env,
            stdio: ["ignore", "pipe", "pipe"],
          });
          let so = "";
          let se = "";
          child.stdout.on("data", (d) => {
            so += String(d);
          });
          child.stderr.on("data", (d) => {
            se += String(d);
          });
          const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
          child.on("error", (err) => {
            clearTimeout(timer);
            reject(err);
          });
          child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ stdout: so, stderr: se, exitCode: code ?? 1 });
          });
        },
      );
      let entries: WranglerOutputEntry[] = [];
      try {
        entries = parseEntries(readFileSync(outputFile, "utf8"));
      } catch {
        entries = [];
      }
      const failed = entries.find((e) => e.type === "command-failed");
      if (exitCode !== 0 || failed) {
        const message = typeof failed?.message === "string" ? failed.message : `${stderr}\n${stdout}`.trim();
        const code = typeof failed?.code === "number" ? failed.code : codeIn(`${message}\n${stderr}\n${stdout}`);
        throw new WranglerError(
          redact(`wrangler ${args.slice(0, 2).join(" ")} failed: ${message.split("\n")[0] ?? "no output"}`, secrets),
          code,
          args,
        );
      }
      return { entries, stdout: redact(stdout, secrets), stderr: redact(stderr, secrets), exitCode };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
