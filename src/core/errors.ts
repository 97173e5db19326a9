/** Where in a user's file a problem sits. Every input error names one, so the user can jump to it. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/**
 * What went wrong, for whoever decides what happens next (the CLI maps it to an exit code, the local edge's control
 * API to an HTTP status): `input` when what the user gave cannot be used (a flag, a file, a config); `failure` when
 * an operation ran and did not succeed, or found a problem.
 */
export type ErrorKind = "input" | "failure";

export interface BlastwallErrorOptions {
  /** Default `input`: most errors a person reads are about what they gave. */
  kind?: ErrorKind;
  location?: SourceLocation;
  /** What the user should do about it, in one sentence. */
  fix?: string;
  cause?: unknown;
}

/**
 * An error meant for a person: it says what went wrong, where, and how to fix it.
 *
 * @example
 * throw new BlastwallError("unknown message version 3", { location: { file: "src/queue.ts", line: 12 }, fix: "add a v3 schema" });
 * throw new BlastwallError("wrangler versions upload reported no version id", { kind: "failure" });
 */
export class BlastwallError extends Error {
  readonly kind: ErrorKind;
  readonly location: SourceLocation | undefined;
  readonly fix: string | undefined;

  constructor(message: string, { kind = "input", location, fix, cause }: BlastwallErrorOptions = {}) {
    super(message, { cause });
    this.name = "BlastwallError";
    this.kind = kind;
    this.location = location;
    this.fix = fix;
  }
}

/**
 * Bad flags or arguments: always `input`.
 *
 * @example
 * throw new UsageError('unknown --target "prod"', "use --target local or --target cloudflare");
 */
export class UsageError extends BlastwallError {
  constructor(message: string, fix?: string) {
    super(message, { kind: "input", fix });
    this.name = "UsageError";
  }
}

/**
 * `file:line:column`, as far as known.
 *
 * @example
 * formatLocation({ file: "wrangler.toml", line: 3 }); // "wrangler.toml:3"
 */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

/**
 * One line (or two) that a person can act on.
 *
 * @example
 * describeError(new UsageError("missing <queue>", "pass a queue name")); // "error: missing <queue>\n  fix: pass a queue name"
 */
export function describeError(err: unknown): string {
  if (err instanceof BlastwallError) {
    const where = err.location ? `${formatLocation(err.location)}: ` : "";
    const fix = err.fix ? `\n  fix: ${err.fix}` : "";
    return `error: ${where}${err.message}${fix}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
