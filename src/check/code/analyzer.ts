import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ts from "typescript";
import { type Project, relativeTo } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { Analyzer, AnalyzerContext } from "../analyzer.js";
import { configSections } from "../config/sections.js";
import {
  applySuppressions,
  type CommentLine,
  configComments,
  nextConfigLine,
  scopeSuppressions,
} from "../config/suppressions.js";
import type { Finding } from "../findings.js";
import { rules as allRules } from "../rules/index.js";
import { report } from "../rules/report.js";
import type { Rule } from "../rules/rule.js";
import { walk } from "./ast.js";
import { isScriptFile, listSources } from "./files.js";
import { type CodeModules, createCodeModules } from "./modules.js";
import type {
  CodeFileContext,
  CodeProjectContext,
  SkippedSource,
  SourceFileInfo,
  WorkerBindings,
  WorkerCode,
} from "./rule.js";
import { type ParsedSource, parseSourceFile } from "./source.js";
import { unreadMain } from "./unread-main.js";

function bindingsOf(worker: WranglerConfig): WorkerBindings {
  const all = [worker, ...Object.values(worker.env)];
  const b: WorkerBindings = {
    d1: new Set(),
    kv: new Set(),
    r2: new Set(),
    durableObjects: new Set(),
    services: new Set(),
    producers: new Map(),
    vars: new Map(),
  };
  const rawSections = [worker.raw, ...Object.values(worker.raw.env ?? {})];
  for (const s of all) {
    for (const d of s.d1_databases) b.d1.add(d.binding);
    for (const k of s.kv_namespaces) b.kv.add(k.binding);
    for (const r of s.r2_buckets) b.r2.add(r.binding);
    for (const d of s.durable_objects.bindings) b.durableObjects.add(d.name);
    for (const p of s.queues.producers) b.producers.set(p.binding, p.queue);
    for (const [k, v] of Object.entries(s.vars)) if (typeof v === "string") b.vars.set(k, v);
  }
  for (const raw of rawSections) {
    const services: unknown = typeof raw === "object" && raw !== null ? Reflect.get(raw, "services") : undefined;
    if (!Array.isArray(services)) continue;
    for (const s of services) {
      const name: unknown = typeof s === "object" && s !== null ? Reflect.get(s, "binding") : undefined;
      if (typeof name === "string") b.services.add(name);
    }
  }
  return b;
}

/** `// blastwall-ignore …` comments of a source file, found through the scanner's comment ranges. */
function sourceComments(sf: ts.SourceFile): CommentLine[] {
  const text = sf.text;
  if (!text.includes("blastwall-ignore")) return [];
  const out: CommentLine[] = [];
  const seen = new Set<number>();
  walk(sf, (node) => {
    for (const r of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      const raw = text.slice(r.pos, r.end);
      if (!raw.includes("blastwall-ignore")) continue;
      const body =
        r.kind === ts.SyntaxKind.SingleLineCommentTrivia ? raw.slice(2) : raw.slice(2, -2).replace(/^\s*\*/gm, "");
      const { line, character } = sf.getLineAndCharacterOfPosition(r.pos);
      const before = text.slice(text.lastIndexOf("\n", r.pos - 1) + 1, r.pos);
      out.push({ line: line + 1, body: body.trim(), trailing: before.trim() !== "" && character > 0 });
    }
    return undefined;
  });
  return out;
}

/** A whole-line suppression covers the next statement (or expression, member…) after it, all its lines. */
function nextNodeRange(sf: ts.SourceFile): (line: number) => [number, number] {
  return (line) => {
    let hit: ts.Node | undefined;
    const lineAt = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (n: ts.Node): void => {
      if (hit) return;
      const start = lineAt(n.getStart(sf));
      if (start > line) {
        hit = n;
        return;
      }
      if (lineAt(n.end) >= line) ts.forEachChild(n, visit);
    };
    ts.forEachChild(sf, visit);
    return hit ? [lineAt(hit.getStart(sf)), lineAt(hit.end)] : [line + 1, line + 1];
  };
}

function sourceScope(src: SourceFileInfo): ReturnType<typeof scopeSuppressions> {
  const comments = sourceComments(src.sf);
  if (comments.length === 0) return { scoped: [], problems: [] };
  return scopeSuppressions(src.file, comments, nextNodeRange(src.sf), src.sf.text.split("\n").length);
}

function configScope(worker: WranglerConfig, file: string): Scope {
  const text = worker.text;
  return scopeSuppressions(file, configComments(text, worker.format), nextConfigLine(text), text.split("\n").length);
}

type Scope = ReturnType<typeof scopeSuppressions>;

/** One analysis run: the parse cache (shared by Workers that share a folder), findings, skipped files. */
interface Run {
  parse(path: string): ParsedSource;
  modules: CodeModules;
  findings: Finding[];
  /** Files no code rule checked, each once (two Workers may share a folder): code/skipped-file reports them. */
  skipped: Map<string, SkippedSource>;
}

function startRun(): Run {
  const parsed = new Map<string, ParsedSource>();
  const parse = (path: string): ParsedSource => {
    let p = parsed.get(path);
    if (!p) {
      p = parseSourceFile(path);
      parsed.set(path, p);
    }
    return p;
  };
  const files = function* () {
    for (const p of parsed.values()) if (p.ok) yield p.sf;
  };
  return { parse, modules: createCodeModules({ parse, files }), findings: [], skipped: new Map() };
}

function skip(run: Run, src: { path: string; file: string }, reason: string, line?: number): void {
  if (!run.skipped.has(src.path))
    run.skipped.set(src.path, { file: src.file, reason, ...(line !== undefined ? { line } : {}) });
}

/** Step 1: each Worker's config, bindings and parsed source files. */
function readWorkers(project: Project, run: Run, progress: AnalyzerContext["progress"]): WorkerCode[] {
  const projectSections = project.workers.flatMap((w) =>
    configSections(w).map((section) => ({ worker: w, file: relativeTo(project.root, w.path), section })),
  );
  return project.workers.map((worker) => {
    const configFile = relativeTo(project.root, worker.path);
    const main = worker.main ? resolve(dirname(worker.path), worker.main) : undefined;
    // A Worker whose main is not there is reported by code/skipped-file, which reads the config itself.
    const readable = main !== undefined && existsSync(main);
    const paths = main && readable ? listSources(dirname(main)) : [];
    // A main in another language (a Python Worker's entry.py) is not parsed: code/skipped-file names it.
    if (main && readable && isScriptFile(main) && !paths.includes(main)) paths.push(main);
    const unread = paths.length === 0 ? unreadMain(worker, configFile) : undefined;
    progress?.(`${configFile}: ${paths.length} source files${unread ? ` (code not analysed: ${unread.why})` : ""}`);
    const files: SourceFileInfo[] = [];
    for (const path of paths) {
      const p = run.parse(path);
      const file = relativeTo(project.root, path);
      if (p.ok) files.push({ path, file, sf: p.sf });
      else if (p.reason !== "not a regular file") skip(run, { path, file }, p.reason, p.line);
    }
    return {
      worker,
      configFile,
      sections: projectSections.filter((p) => p.worker === worker).map((p) => p.section),
      bindings: bindingsOf(worker),
      files,
      entry: files.find((f) => f.path === main),
      projectSections,
    };
  });
}

interface FileSlot {
  src: SourceFileInfo;
  findings: Finding[];
  keys: Set<string>;
}

/** One file rule on one file; a pathological file (e.g. nested deeper than the stack) must not stop the check. */
function runFileRule(rule: Rule, ctx: CodeFileContext, run: Run): Finding[] {
  try {
    return (rule.checkSource?.(ctx) ?? []).map((h) => report(rule.meta, h, ctx.source.file));
  } catch (err) {
    skip(run, ctx.source, `analysis failed (${(err as Error).message})`);
    return [];
  }
}

/** Step 2: the file rules over every Worker's files, one slot per file (two Workers sharing a folder report once). */
function checkFiles(workers: WorkerCode[], rules: readonly Rule[], run: Run): Map<string, FileSlot> {
  const perFile = new Map<string, FileSlot>();
  for (const code of workers) {
    for (const src of code.files) {
      let slot = perFile.get(src.path);
      if (!slot) {
        slot = { src, findings: [], keys: new Set() };
        perFile.set(src.path, slot);
      }
      for (const r of rules) {
        for (const f of runFileRule(r, { code, source: src, modules: run.modules }, run)) {
          const key = `${f.rule}:${f.line}:${f.column ?? 0}`;
          if (!slot.keys.has(key)) {
            slot.keys.add(key);
            slot.findings.push(f);
          }
        }
      }
    }
  }
  return perFile;
}

/** Step 3: the project rules; they point into source files or configs, and the suppressions written in either apply. */
function checkProject(ctx: CodeProjectContext, rules: readonly Rule[], perFile: Map<string, FileSlot>, run: Run): void {
  const scopes = new Map<string, Scope>();
  for (const { src, findings } of perFile.values()) {
    const scope = sourceScope(src);
    scopes.set(src.file, scope);
    run.findings.push(...applySuppressions(findings, scope.scoped), ...scope.problems);
  }
  for (const f of rules.flatMap((r) => (r.checkProject?.(ctx) ?? []).map((h) => report(r.meta, h, h.file)))) {
    let scope = scopes.get(f.file);
    const code = ctx.workers.find((w) => w.configFile === f.file);
    if (!scope && code) {
      scope = configScope(code.worker, f.file);
      scopes.set(f.file, scope);
    }
    run.findings.push(...(scope ? applySuppressions([f], scope.scoped) : [f]));
  }
}

/**
 * The Worker code analyzer: parses each Worker's TypeScript/JavaScript (one `ts.createSourceFile` per file; a
 * type checker only for a file whose SQL the syntax cannot fold) and runs the code rules, plus the rules that join
 * code with config (RPC compatibility, v8 sends).
 *
 * @example
 * await runCheck("examples/shop", { analyzers: [createCodeAnalyzer()] });
 */
export function createCodeAnalyzer({ rules = allRules }: CodeAnalyzerOptions = {}): Analyzer {
  return {
    name: "code",
    async analyze({ project, progress }: AnalyzerContext) {
      const run = startRun();
      const workers = readWorkers(project, run, progress);
      const perFile = checkFiles(workers, rules, run);
      const projectSections = workers[0]?.projectSections ?? [];
      checkProject({ project, workers, projectSections, skipped: [...run.skipped.values()] }, rules, perFile, run);
      return { findings: run.findings };
    },
  };
}

export interface CodeAnalyzerOptions {
  /** The rules to run (those with checkSource/checkProject); all of them by default. */
  rules?: readonly Rule[];
}
