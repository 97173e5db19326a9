import type { Writable } from "node:stream";
import type { Progress, ProgressStep } from "./progress.js";

export type OutputMode = "tty" | "plain";

export interface OutputOptions {
  stdout?: Writable & { isTTY?: boolean; columns?: number };
  stderr?: Writable;
  /** Print data as JSON on stdout; human text then goes to stderr so pipes stay clean. */
  json?: boolean;
  env?: NodeJS.ProcessEnv;
}

export type StepState = "pending" | "running" | "ok" | "failed" | "skipped";

/** A step of the console's output: the progress port's step. */
export type Step = ProgressStep;

const SYMBOL: Record<StepState, string> = { pending: "·", running: "▸", ok: "✓", failed: "✗", skipped: "-" };
const COLOR: Record<StepState, string> = { pending: "2", running: "36", ok: "32", failed: "31", skipped: "33" };
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Console output that adapts to where it runs: a live step list on a TTY, plain lines when
 * there is no TTY or CI=true, and JSON on stdout with `--json`.
 *
 * @example
 * const out = createOutput({ json: false });
 * const step = out.step("upload v2");
 * step.ok("version 4f2a…");
 */
export class Output implements Progress {
  readonly mode: OutputMode;
  readonly json: boolean;
  readonly color: boolean;
  private readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  private readonly stderr: Writable;
  private readonly live: LiveSteps | undefined;

  constructor({
    stdout = process.stdout,
    stderr = process.stderr,
    json = false,
    env = process.env,
  }: OutputOptions = {}) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.json = json;
    const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
    this.mode = stdout.isTTY === true && !ci && !json ? "tty" : "plain";
    this.color = this.mode === "tty" && env.NO_COLOR === undefined;
    this.live = this.mode === "tty" ? new LiveSteps(stdout, this.color) : undefined;
  }

  /** Human text. In JSON mode it goes to stderr so stdout stays parseable. */
  line(text = ""): void {
    if (this.live) this.live.above(text);
    else (this.json ? this.stderr : this.stdout).write(`${text}\n`);
  }

  /** A warning or error for a person, always on stderr. */
  error(text: string): void {
    this.stderr.write(`${this.paint(text, "31")}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.paint(text, "33")}\n`);
  }

  /** The command's result as JSON, one document on stdout. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  paint(text: string, code: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  bold(text: string): string {
    return this.paint(text, "1");
  }

  /** Start a step of a long job. On a TTY it joins the live list; elsewhere it prints plain lines. */
  step(name: string): Step {
    if (this.live) return this.live.add(name);
    const sink = this.json ? this.stderr : this.stdout;
    return new PlainStep(name, (s) => sink.write(`${s}\n`));
  }

  /** Stop any live rendering; call before exit. */
  close(): void {
    this.live?.close();
  }
}

export function createOutput(options: OutputOptions = {}): Output {
  return new Output(options);
}

/**
 * A step as plain lines (no TTY, CI, or --json): its title when it starts, one indented line per change of its
 * detail (an unchanged detail prints nothing), and the result with its title when it ends. Lines are never cut.
 */
class PlainStep implements Step {
  private finished = false;
  private last: string | undefined;
  constructor(
    readonly name: string,
    private readonly write: (s: string) => void,
  ) {
    write(`${SYMBOL.running} ${name}`);
  }
  update(detail: string): void {
    if (this.finished || detail === this.last) return;
    this.last = detail;
    this.write(`  ${detail}`);
  }
  ok(detail?: string): void {
    this.end("ok", detail);
  }
  fail(detail?: string): void {
    this.end("failed", detail);
  }
  skip(detail?: string): void {
    this.end("skipped", detail);
  }
  private end(state: StepState, detail?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.write(`${SYMBOL[state]} ${this.name}${detail ? `: ${detail}` : ""}`);
  }
}

interface LiveRow {
  name: string;
  state: StepState;
  detail: string;
}

/** Redraws the step list in place; finished rows scroll up as permanent lines. */
class LiveSteps {
  private rows: LiveRow[] = [];
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable & { columns?: number },
    private readonly color: boolean,
  ) {}

  add(name: string): Step {
    const row: LiveRow = { name, state: "running", detail: "" };
    this.rows.push(row);
    this.ensureTimer();
    this.render();
    const finish = (state: StepState, detail?: string) => {
      if (row.state !== "running") return;
      row.state = state;
      if (detail !== undefined) row.detail = detail;
      this.render();
    };
    return {
      name,
      update: (detail) => {
        row.detail = detail;
        this.render();
      },
      ok: (d) => finish("ok", d),
      fail: (d) => finish("failed", d),
      skip: (d) => finish("skipped", d),
    };
  }

  above(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.render();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.render();
    this.drawn = 0;
    this.rows = [];
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame++;
      this.render();
    }, 100);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private render(): void {
    this.clear();
    // Finished rows at the top of the list are written once and forgotten.
    while (this.rows.length > 0 && this.rows[0] !== undefined && this.rows[0].state !== "running") {
      const row = this.rows.shift();
      if (row) this.out.write(`${this.format(row)}\n`);
    }
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    const lines = this.rows.map((r) => this.format(r).slice(0, width + 20));
    for (const l of lines) this.out.write(`${l}\n`);
    this.drawn = lines.length;
    if (this.rows.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private format(row: LiveRow): string {
    const sym = row.state === "running" ? (SPINNER[this.frame % SPINNER.length] ?? SYMBOL.running) : SYMBOL[row.state];
    const head = this.color ? `\u001b[${COLOR[row.state]}m${sym}\u001b[0m` : sym;
    const detail = row.detail ? (this.color ? ` \u001b[2m${row.detail}\u001b[0m` : ` ${row.detail}`) : "";
    return `${head} ${row.name}${detail}`;
  }
}
