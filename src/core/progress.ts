/**
 * The progress port: how long jobs (a release, a drill, the demo) tell a person what they are doing, without
 * knowing where it shows. The CLI's console output implements it (a live step list on a TTY, plain lines in CI);
 * tests pass a recorder.
 */

/** One step of a long job: started when created, ended once by `ok`, `fail` or `skip`. */
export interface ProgressStep {
  readonly name: string;
  /** Replace the step's detail (a live figure on a TTY, a plain line in CI). */
  update(detail: string): void;
  ok(detail?: string): void;
  fail(detail?: string): void;
  skip(detail?: string): void;
}

export interface Progress {
  /** Start a step. */
  step(name: string): ProgressStep;
  /** A line of text for a person. */
  line(text?: string): void;
  /** A warning for a person. */
  warn(text: string): void;
}
