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
  /** Wrangler was killed after its time limit (the API did not answer). */
  readonly timedOut: boolean;
  /** What wrangler wrote to its output file before failing. */
  readonly entries: readonly WranglerOutputEntry[];
  constructor(
    message: string,
    code: number | undefined,
    args: readonly string[],
    { fix, timedOut = false, entries = [] }: { fix?: string; timedOut?: boolean; entries?: WranglerOutputEntry[] } = {},
  ) {
    super(message, { kind: "failure", fix });
    this.name = "WranglerError";
    this.code = code;
    this.args = args;
    this.timedOut = timedOut;
    this.entries = entries;
  }

  /** Rate limited (429, API code 971) or a server error or timeout: worth another try after a backoff. */
  get transient(): boolean {
    return (
      this.timedOut || this.code === RATE_LIMITED || /\b(429|50[234])\b|Too Many Requests|throttl/i.test(this.message)
    );
  }
}

/** The API's "please wait and consider throttling your request speed" code. */
export const RATE_LIMITED = 971;

export interface WranglerRunnerOptions {
  apiToken: string;
  /** The account, or how to find it (resolved before the first run). */
  accountId: string | (() => Promise<string>);
  /** Passed as CLOUDFLARE_API_BASE_URL when set (contract tests use a loopback server). */
  apiBaseUrl?: string;
  /** Path of wrangler's bin script; default: the wrangler this package depends on. */
  wranglerBin?: string;
  /** Extra environment (e.g. PATH); tokens from it are never echoed. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Kill a wrangler run after this long unless the call says otherwise. Default 10 minutes. */
  timeoutMs?: number;
}

export interface RunWranglerOptions {
  cwd?: string;
  /**
   * Kill after this long; 0 never kills. Commands that change data (`d1 migrations apply`, `time-travel restore`)
   * pass 0: killing one midway leaves the database in a state nobody knows.
   */
  timeoutMs?: number;
}

export type RunWrangler = (args: string[], options?: RunWranglerOptions) => Promise<WranglerRun>;

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
 * The API's reasons: wrangler puts "A request to the Cloudflare API (…) failed." in the message and the API's own
 * errors, each ending in `[code: N]`, in notes printed below it. Those notes are what a person can act on.
 */
export function apiNotes(text: string): string[] {
  const notes = text
    .split("\n")
    .map((l) => l.replace(/^[\s✘▲-]*(\[ERROR\]\s*)?/, "").trim())
    .filter((l) => /\[code: \d+\]/.test(l));
  return [...new Set(notes)];
}

function failureMessage(args: readonly string[], failed: WranglerOutputEntry | undefined, out: string): string {
  const head = typeof failed?.message === "string" ? failed.message : out.trim();
  const first = head.split("\n")[0] || "no output";
  const notes = apiNotes(out).filter((n) => !first.includes(n));
  return `wrangler ${args.slice(0, 2).join(" ")} failed: ${[first, ...notes].join(" ")}`;
}

interface Exited {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Killed after `timeoutMs`. */
  killed: boolean;
}

/** Spawns wrangler and collects its output; kills it after `timeoutMs` (0: never). */
function spawnWrangler(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string | undefined,
  timeoutMs: number,
) {
  return new Promise<Exited>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    let killed = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            killed = true;
            child.kill("SIGKILL");
          }, timeoutMs)
        : undefined;
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: code ?? 1, killed });
    });
  });
}

/** Only what wrangler needs: nothing else of the caller's environment (other secrets) reaches it. */
function wranglerEnv(
  o: { apiToken: string; accountId: string; apiBaseUrl?: string; baseEnv: NodeJS.ProcessEnv },
  dir: string,
) {
  const passed = Object.fromEntries(PASS_THROUGH.flatMap((k) => (o.baseEnv[k] ? [[k, o.baseEnv[k]]] : [])));
  return {
    ...passed,
    CLOUDFLARE_API_TOKEN: o.apiToken,
    CLOUDFLARE_ACCOUNT_ID: o.accountId,
    ...(o.apiBaseUrl ? { CLOUDFLARE_API_BASE_URL: o.apiBaseUrl } : {}),
    WRANGLER_OUTPUT_FILE_PATH: join(dir, "output.ndjson"),
    WRANGLER_LOG_PATH: join(dir, "logs"),
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  } satisfies NodeJS.ProcessEnv;
}

function readEntries(file: string): WranglerOutputEntry[] {
  try {
    return parseEntries(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
}

/** The run's result, or the WranglerError it amounts to (killed, exited non-zero, or a `command-failed` entry). */
function judge(args: string[], run: Exited, entries: WranglerOutputEntry[], timeoutMs: number, secrets: string[]) {
  if (run.killed) {
    throw new WranglerError(
      `wrangler ${args.slice(0, 2).join(" ")} gave no answer within ${Math.round(timeoutMs / 1000)} s and was stopped`,
      undefined,
      args,
      { fix: "check the network; the API may be slow or rate limiting", timedOut: true },
    );
  }
  const failed = entries.find((e) => e.type === "command-failed");
  if (run.exitCode !== 0 || failed) {
    const out = `${run.stderr}\n${run.stdout}`;
    const code = typeof failed?.code === "number" ? failed.code : codeIn(out);
    throw new WranglerError(redact(failureMessage(args, failed, out), secrets), code, args, { entries });
  }
  return { entries, stdout: redact(run.stdout, secrets), stderr: redact(run.stderr, secrets), exitCode: run.exitCode };
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
  timeoutMs: defaultTimeoutMs = 600_000,
}: WranglerRunnerOptions): RunWrangler {
  const secrets = [apiToken];
  return async (args, { cwd, timeoutMs = defaultTimeoutMs } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "blastwall-wrangler-"));
    try {
      const account = typeof accountId === "string" ? accountId : await accountId();
      const env = wranglerEnv({ apiToken, accountId: account, apiBaseUrl, baseEnv }, dir);
      const run = await spawnWrangler(wranglerBin, args, env, cwd, timeoutMs);
      return judge(args, run, readEntries(env.WRANGLER_OUTPUT_FILE_PATH), timeoutMs, secrets);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
