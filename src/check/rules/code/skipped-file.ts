import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isScriptFile } from "../../code/files.js";
import type { SkippedSource, WorkerCode } from "../../code/rule.js";
import type { RuleMeta, Severity } from "../../findings.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/skipped-file",
  severity: "warning",
  summary: "A source file could not be analyzed (syntax error, too large, unreadable) and was skipped.",
};

/**
 * The finding for a Worker whose code was not read at all, saying why, so "0 findings" never hides it.
 * A Worker without `main` (assets only) or with a `main` in another language is info; a `main` that cannot be read
 * is a warning.
 */
function codeNotAnalysed(configFile: string, line: number, why: string, fix: string, severity: Severity): PlacedHit {
  return { file: configFile, line, severity, message: `code not analysed: ${why}`, fix, data: { reason: why } };
}

/** Why a Worker's code cannot be read: no `main`, a package specifier, or a file that is not there. */
function unreadMain({ worker, configFile }: WorkerCode): PlacedHit | undefined {
  const line = worker.locate(["main"])?.line ?? 1;
  if (!worker.main)
    return codeNotAnalysed(
      configFile,
      line,
      "the config sets no `main`",
      "set `main` to the Worker's entry file if it has code",
      "info",
    );
  const spec = worker.main;
  if (existsSync(resolve(dirname(worker.path), spec))) {
    if (isScriptFile(spec)) return undefined;
    const python = spec.endsWith(".py");
    return codeNotAnalysed(
      configFile,
      line,
      `main "${spec}" is ${python ? "a Python Worker" : "not JavaScript or TypeScript"}, and blastwall's code rules read only JavaScript and TypeScript`,
      "nothing to fix in the project; the config, D1, queue and Durable Object rules still check it",
      "info",
    );
  }
  if (!/^[./]/.test(spec) && !/\.[cm]?[jt]sx?$/.test(spec))
    return codeNotAnalysed(
      configFile,
      line,
      `main "${spec}" is a package specifier, which blastwall does not resolve`,
      "point `main` at a file in the project (e.g. src/index.ts) to have its code checked",
      "warning",
    );
  const built = /(^|\/)(dist|build|out|\.output|\.svelte-kit|\.next)\//.test(spec);
  return codeNotAnalysed(
    configFile,
    line,
    built ? `main "${spec}" does not exist (a build output that is not built yet)` : `main "${spec}" does not exist`,
    built
      ? "run the build before `blastwall check`, or check the source folder by pointing `main` at the source entry"
      : `create ${spec} or fix the path in main (it is relative to ${configFile})`,
    "warning",
  );
}

/** The warning for a file the code rules could not look at, so a clean report is never silently partial. */
function skippedFile({ file, reason, line = 1 }: SkippedSource): PlacedHit {
  return {
    file,
    line,
    message: `skipped ${file}: ${reason}; no code rule checked it`,
    fix: reason.startsWith("syntax error")
      ? `fix the syntax error at ${file}:${line} (\`npx tsc --noEmit\` shows it), then run the check again`
      : `move generated or vendored code out of the Worker's source folder, or split ${file}`,
    data: { reason },
  };
}

/** Every Worker whose code was not read, and every file no code rule checked. */
export default defineRule({
  meta,
  checkProject: ({ workers, skipped }) => [
    ...workers.flatMap((code) => unreadMain(code) ?? []),
    ...skipped.map(skippedFile),
  ],
});
