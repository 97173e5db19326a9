import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CheckResult, Finding, Severity } from "../findings.js";
import { codeFrame } from "./frame.js";

export interface PrettyOptions {
  /** The project dir that finding paths are relative to (to read code frames). */
  root: string;
  /** Colours text on a TTY; identity elsewhere. */
  paint?: (text: string, code: string) => string;
  /** Read a file for its code frame; defaults to the file system. */
  readText?: (path: string) => string | undefined;
}

const COLOR: Record<Severity, string> = { error: "31", warning: "33", info: "36" };

function defaultRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Word-wraps a fix to the terminal so long alternatives stay readable. */
function wrap(text: string, width: number, indent: string): string {
  const words = text.split(" ");
  const lines: string[] = [];
  let cur = "";
  for (const w of words) {
    if (cur && cur.length + w.length + 1 > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.join(`\n${indent}`);
}

/** Findings on shipped history, one line each, apart from the rest, and the line that sums them up. */
function parkedSection(result: CheckResult, paint: (text: string, code: string) => string): string[] {
  const parked = result.findings.filter((f) => f.parked);
  const b = result.baseline;
  if (!b) return [];
  const out: string[] = [];
  if (parked.length > 0) {
    out.push(paint("shipped history (parked as info; only new findings fail)", "1"));
    for (const f of parked) {
      const msg = f.message.length > 110 ? `${f.message.slice(0, 107)}...` : f.message;
      out.push(`  ${paint(`${f.file}:${f.line}`, "2")} ${f.rule} (was ${f.parked?.severity}) ${msg}`);
    }
  }
  const from = b.sources.join(", ") || "nothing";
  const line = b.written
    ? `baseline written to ${b.written}: ${b.parked} finding${b.parked === 1 ? "" : "s"} parked; commit it, and from now on only new findings fail`
    : `${b.parked} finding${b.parked === 1 ? "" : "s"} on shipped history parked as info (from ${from})`;
  out.push(paint(line, "36"), "");
  return out;
}

/**
 * The human report: findings grouped by file, each with a code frame and its safe alternative, then every
 * migration's class and a one-line total.
 *
 * @example
 * process.stdout.write(renderPretty(result, { root: "examples/shop" }));
 */
export function renderPretty(
  result: CheckResult,
  { root, paint = (t) => t, readText = defaultRead }: PrettyOptions,
): string {
  const out: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of result.findings.filter((x) => !x.parked)) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const classOf = new Map(result.migrations.map((m) => [m.file, m.class]));
  for (const [file, findings] of byFile) {
    const cls = classOf.get(file);
    out.push(`${paint(file, "1")}${cls ? paint(`  (${cls})`, "2") : ""}`);
    const text = readText(join(root, file));
    for (const f of findings) {
      const where = `${f.line}:${f.column ?? 1}`;
      out.push(
        `  ${where.padEnd(7)} ${paint(f.severity.padEnd(7), COLOR[f.severity])} ${paint(f.rule, "2")}  ${f.message}`,
      );
      if (text !== undefined) {
        const frame = codeFrame(text, f.line);
        if (frame) out.push(frame.replace(/^/gm, "          "));
      }
      out.push(`          ${paint("fix:", "32")} ${wrap(f.fix, 100, "               ")}`);
      out.push("");
    }
  }
  if (result.migrations.length > 0) {
    const counts = { expand: 0, contract: 0, data: 0, mixed: 0 };
    for (const m of result.migrations) counts[m.class]++;
    out.push(
      paint(
        `migrations: ${result.migrations.length} (expand ${counts.expand}, contract ${counts.contract}, data ${counts.data}, mixed ${counts.mixed})`,
        "1",
      ),
    );
    for (const m of result.migrations) out.push(`  ${m.class.padEnd(9)} ${m.file}`);
    out.push("");
  }
  out.push(...parkedSection(result, paint));
  const n = (s: Severity) => result.findings.filter((f) => f.severity === s && !f.parked).length;
  const errors = n("error");
  const summary = `${errors} error${errors === 1 ? "" : "s"}, ${n("warning")} warning${n("warning") === 1 ? "" : "s"}, ${n("info")} info`;
  out.push(errors > 0 ? paint(`✗ ${summary}`, "31") : paint(`✓ ${summary}`, "32"));
  return `${out.join("\n")}\n`;
}
