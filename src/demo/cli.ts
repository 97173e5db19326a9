import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/blastwall.js", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when the command printed a document. */
  json: unknown;
}

export interface RunBlastwallOptions {
  cwd: string;
  /** Called with each line the command prints on stderr (its progress and decisions in --json mode). */
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the real `blastwall` CLI as a user would, in its own process, and collects its output.
 *
 * @example
 * const r = await runBlastwall(["versions", "list", "--json"], { cwd: workspace });
 */
export function runBlastwall(args: string[], { cwd, onLine, env = process.env }: RunBlastwallOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, CI: "true" } });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) onLine?.(l.trim());
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? 1, stdout, stderr, json });
    });
  });
}
