import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";
import { resolveImport } from "./module-exports.js";
import { type ParsedSource, parseSourceFile } from "./source.js";
import { createPathsResolver } from "./tsconfig-paths.js";
import { createWorkspaceResolver } from "./workspace-imports.js";

/**
 * The project's own modules as the code rules see them: parsed once, linked by their relative imports, and typed
 * on demand. A type checker is built only for a file that asks (its import closure over project files, no
 * packages, ES5 lib only), so a project whose SQL folds by syntax never pays for one.
 */
export interface CodeModules {
  /** The parsed file at an absolute path, from the shared cache. */
  source(path: string): ts.SourceFile | undefined;
  /**
   * The project file an import specifier names (relative, mapped by tsconfig `paths`, or a workspace package of the
   * repo); undefined for installed packages.
   */
  resolve(fromFile: string, specifier: string): string | undefined;
  /** The project files that import `path` (by a relative specifier), among the files the analyzer read. */
  importers(path: string): ts.SourceFile[];
  /** A type checker that sees `sf` and the project files it imports; built on first use per file. */
  checker(sf: ts.SourceFile): ts.TypeChecker;
}

export interface CodeModulesOptions {
  /** Parse (or fetch from a cache) one file. */
  parse?: (path: string) => ParsedSource;
  /** Every source file the analyzer read, for `importers`. */
  files?: () => Iterable<ts.SourceFile>;
}

let libFile: ts.SourceFile | undefined;

/** ES5's lib declares Array, String and friends, which literal-union element types need; parsed once per process. */
function lib(): ts.SourceFile {
  if (!libFile) {
    const path = join(dirname(ts.getDefaultLibFilePath({})), "lib.es5.d.ts");
    // No parent pointers: the binder sets them, and skipping them here makes the one parse cheaper.
    libFile = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, false);
  }
  return libFile;
}

const EXTENSIONS: [RegExp, ts.Extension][] = [
  [/\.d\.ts$/, ts.Extension.Dts],
  [/\.mts$/, ts.Extension.Mts],
  [/\.cts$/, ts.Extension.Cts],
  [/\.tsx$/, ts.Extension.Tsx],
  [/\.ts$/, ts.Extension.Ts],
  [/\.mjs$/, ts.Extension.Mjs],
  [/\.cjs$/, ts.Extension.Cjs],
  [/\.jsx$/, ts.Extension.Jsx],
];

function extensionOf(path: string): ts.Extension {
  return EXTENSIONS.find(([re]) => re.test(path))?.[1] ?? ts.Extension.Js;
}

const OPTIONS: ts.CompilerOptions = {
  noLib: true,
  allowJs: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  // ES5: `for (const x of array)` needs no Iterable from a newer lib.
  target: ts.ScriptTarget.ES5,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
};

function compilerHost(modules: Pick<CodeModules, "source" | "resolve">): ts.CompilerHost {
  return {
    getSourceFile: (name) => (name === lib().fileName ? lib() : modules.source(name)),
    getDefaultLibFileName: () => lib().fileName,
    writeFile: () => undefined,
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (name) => modules.source(name) !== undefined,
    readFile: () => undefined,
    resolveModuleNameLiterals: (literals, containing) =>
      literals.map((l) => {
        const target = modules.resolve(containing, l.text);
        return {
          resolvedModule: target
            ? { resolvedFileName: target, extension: extensionOf(target), isExternalLibraryImport: false }
            : undefined,
        };
      }),
  };
}

function importersIndex(files: Iterable<ts.SourceFile>, resolve: CodeModules["resolve"]): Map<string, ts.SourceFile[]> {
  const index = new Map<string, ts.SourceFile[]>();
  for (const sf of files) {
    for (const st of sf.statements) {
      const spec =
        (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
        st.moduleSpecifier &&
        ts.isStringLiteral(st.moduleSpecifier)
          ? st.moduleSpecifier.text
          : undefined;
      const target = spec && resolve(sf.fileName, spec);
      if (!target) continue;
      const list = index.get(target) ?? [];
      if (!list.includes(sf)) list.push(sf);
      index.set(target, list);
    }
  }
  return index;
}

/**
 * Builds the module view the code rules fold constants through.
 *
 * @example
 * const modules = createCodeModules({ parse: parseSourceFile, files: () => parsed });
 * modules.checker(sf).getTypeAtLocation(expr);
 */
export function createCodeModules({ parse = parseSourceFile, files = () => [] }: CodeModulesOptions = {}): CodeModules {
  const resolved = new Map<string, string | undefined>();
  const viaPaths = createPathsResolver();
  const viaWorkspace = createWorkspaceResolver();
  const checkers = new Map<string, ts.TypeChecker>();
  let importers: Map<string, ts.SourceFile[]> | undefined;
  const modules: CodeModules = {
    source(path) {
      const p = parse(path);
      return p.ok ? p.sf : undefined;
    },
    resolve(fromFile, specifier) {
      const key = `${dirname(fromFile)}\0${specifier}`;
      if (!resolved.has(key))
        resolved.set(
          key,
          resolveImport(fromFile, specifier) ??
            (specifier.startsWith(".")
              ? undefined
              : (viaPaths(fromFile, specifier) ?? viaWorkspace(fromFile, specifier))),
        );
      return resolved.get(key);
    },
    importers(path) {
      importers ??= importersIndex(files(), modules.resolve);
      return importers.get(path) ?? [];
    },
    checker(sf) {
      let checker = checkers.get(sf.fileName);
      if (!checker) {
        const program = ts.createProgram({
          rootNames: [sf.fileName, lib().fileName],
          options: OPTIONS,
          host: compilerHost(modules),
        });
        checker = program.getTypeChecker();
        checkers.set(sf.fileName, checker);
      }
      return checker;
    },
  };
  return modules;
}
