/** Where in a user's file a problem sits. Every input error names one, so the user can jump to it. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface BlastwallErrorOptions {
  /** Exit code: 2 for unusable input or usage, 1 for an operation that found a problem. */
  exitCode?: 1 | 2;
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
 */
export class BlastwallError extends Error {
  readonly exitCode: 1 | 2;
  readonly location: SourceLocation | undefined;
  readonly fix: string | undefined;

  constructor(message: string, { exitCode = 2, location, fix, cause }: BlastwallErrorOptions = {}) {
    super(message, { cause });
    this.name = "BlastwallError";
    this.exitCode = exitCode;
    this.location = location;
    this.fix = fix;
  }
}

/** Bad flags or arguments: always exit 2. */
export class UsageError extends BlastwallError {
  constructor(message: string, fix?: string) {
    super(message, { exitCode: 2, fix });
    this.name = "UsageError";
  }
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

/** One line (or two) that a person can act on. */
export function describeError(err: unknown): string {
  if (err instanceof BlastwallError) {
    const where = err.location ? `${formatLocation(err.location)}: ` : "";
    const fix = err.fix ? `\n  fix: ${err.fix}` : "";
    return `error: ${where}${err.message}${fix}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
