import { BlastwallError } from "../core/errors.js";

/**
 * The process exit code of an error: 2 for unusable input, 1 for a failure (and for any unexpected error).
 * Only the CLI knows about exit codes; the rest of the project says what kind of error it raised.
 *
 * @example
 * errorExitCode(new UsageError("bad flag")); // 2
 */
export function errorExitCode(err: unknown): 1 | 2 {
  return err instanceof BlastwallError && err.kind === "input" ? 2 : 1;
}
