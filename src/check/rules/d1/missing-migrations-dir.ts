import { dirname, relative, resolve } from "node:path";
import { configsApplyingMigrations } from "../../d1/order-apply-scripts.js";
import type { D1FolderContext, FolderHit } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/missing-migrations-dir",
  severity: "error",
  summary: "A D1 binding's migrations_dir does not exist",
};

/** Where the binding sets (or would set) migrations_dir: every finding of this rule points there. */
function declaredAt(dir: D1FolderContext["dir"]): { file: string; line: number; column: number } {
  return { file: dir.declaredAt.file, line: dir.declaredAt.line, column: dir.declaredAt.column };
}

/** A key as the user writes it in their config's format: `k = "v"` in TOML, `"k": "v"` in JSON. */
function configKey(dir: D1FolderContext["dir"], key: string, value: string): string {
  return dir.configs[0]?.format === "toml" ? `${key} = "${value}"` : `"${key}": "${value}"`;
}

/** A `migrations_dir` inside a `node_modules` the package is not installed in, read from where it would be linked from. */
function throughPackage(dir: D1FolderContext["dir"]): FolderHit[] {
  const p = dir.throughPackage;
  if (!p) return [];
  const where =
    p.via === "workspace" ? `the workspace package ${p.pkg} at ${dir.rel}` : `the hoisted install at ${dir.rel}`;
  return [
    {
      ...declaredAt(dir),
      severity: "info",
      message: `migrations_dir "${p.written}" of ${dir.databases.join(", ")} is not installed here (${p.pkg} is not in that node_modules), so its migrations were read from ${where}`,
      fix:
        p.via === "workspace"
          ? `Install first (\`npm install\` / \`pnpm install\`) so that wrangler finds "${p.written}": wrangler reads that path as written and fails while it is missing. Or point migrations_dir at the package's folder (${dir.rel}).`
          : `wrangler reads "${p.written}" as written, relative to the config, and the package was hoisted elsewhere: point migrations_dir at ${dir.rel}, or install so the package is linked next to the config.`,
    },
  ];
}

/** No `migrations_dir`, no default `migrations/`, while drizzle-kit writes the SQL elsewhere: wrangler applies nothing. */
function drizzleElsewhere({ dir, names }: D1FolderContext): FolderHit[] {
  const d = dir.drizzle;
  if (!d) return [];
  const keys = [configKey(dir, "migrations_dir", d.migrationsDir)];
  if (dir.pattern) keys.push(configKey(dir, "migrations_pattern", `${d.migrationsDir}/${dir.pattern}`));
  const selfApplied = d.driver === "d1-http";
  return [
    {
      ...declaredAt(dir),
      severity: selfApplied ? "info" : "warning",
      message: `${dir.databases.join(", ")} sets no migrations_dir, so \`wrangler d1 migrations apply\` reads migrations/, which does not exist, and applies nothing; ${d.config} writes the migrations to ${dir.rel}/ (${names.length} file${names.length === 1 ? "" : "s"}), which were checked instead${selfApplied ? ` (its driver "d1-http" means drizzle-kit migrate applies them itself)` : ""}`,
      fix: `Point wrangler at drizzle's folder: add ${keys.map((k) => `\`${k}\``).join(" and ")} to this D1 binding${dir.pattern ? " (migrations_pattern needs wrangler 4.98+)" : ""}.${d.unnumbered.length > 0 ? ` First move ${d.unnumbered.join(", ")} out of ${dir.rel}/ (not checked as migrations): wrangler would apply ${d.unnumbered.length === 1 ? "it" : "them"} to production too.` : ""} Note that wrangler records applied files in d1_migrations, drizzle-kit in __drizzle_migrations: apply a database with one tool only.`,
      data: { drizzleConfig: d.config, migrationsDir: d.migrationsDir, notChecked: d.unnumbered },
    },
  ];
}

type Config = D1FolderContext["dir"]["configs"][number];
type Binding = Config["d1_databases"][number];

const bindingsOf = (c: Config): Binding[] =>
  [c.d1_databases, ...Object.values(c.env).map((e) => e.d1_databases)].flat();
/** One D1 database: the same database_id, or the same database_name where either config leaves the id out. */
const sameDatabase = (a: Binding, b: Binding) =>
  a.database_id && b.database_id
    ? a.database_id === b.database_id
    : !!a.database_name && a.database_name === b.database_name;
const slash = (p: string) => p.split("\\").join("/");

/**
 * The config that owns this folder's migrations when the declaring config only reaches it from above: another
 * config of the folder that reads it as its own migrations folder and binds the same database, while no package.json
 * script applies migrations through the declaring config. Then nothing is skipped, and the finding is only info.
 */
function ownerOf(dir: D1FolderContext["dir"]): { owner: string; database: string } | undefined {
  const reads = (c: Config, b: Binding) => resolve(dirname(c.path), b.migrations_dir ?? "migrations") === dir.dir;
  const owners = dir.configs.filter((c) => bindingsOf(c).some((b) => reads(c, b)));
  const others = dir.configs.filter((c) => !owners.includes(c));
  if (owners.length === 0 || others.length === 0) return undefined;
  const root =
    dir.rel === "." || !slash(dir.rel).startsWith("..") ? resolve(dir.dir, relative(dir.rel, ".")) : undefined;
  const rel = (p: string) => slash(root ? relative(root, p) : p);
  const declaring = others.find((c) => rel(c.path) === dir.declaredAt.file);
  if (!declaring) return undefined;
  const match = owners.flatMap((o) =>
    bindingsOf(o).flatMap((ob) =>
      reads(o, ob) && bindingsOf(declaring).some((b) => sameDatabase(b, ob)) ? [{ o, ob }] : [],
    ),
  )[0];
  if (!match || configsApplyingMigrations(dirname(declaring.path)).has(declaring.path)) return undefined;
  return { owner: rel(match.o.path), database: match.ob.database_name ?? match.ob.database_id ?? match.ob.binding };
}

/** No `migrations_dir`, no default `migrations/` next to the config, while a parent folder's `migrations/` holds SQL. */
function migrationsAbove({ dir, names }: D1FolderContext): FolderHit[] {
  const a = dir.above;
  if (!a) return [];
  const key = configKey(dir, "migrations_dir", a.migrationsDir);
  const owned = ownerOf(dir);
  if (owned)
    return [
      {
        ...declaredAt(dir),
        severity: "info",
        message: `${dir.declaredAt.file} sets no migrations_dir and has no migrations/ next to it, but it binds the same database (${owned.database}) as ${owned.owner}, which applies ${dir.rel}/ (${names.length} file${names.length === 1 ? "" : "s"}), and no package.json script applies migrations through ${dir.declaredAt.file}: nothing is skipped`,
        fix: `Nothing to fix while migrations are applied with ${owned.owner}. If they should also apply with \`-c ${dir.declaredAt.file}\`, add \`${key}\` to its D1 binding.`,
        data: { migrationsDir: a.migrationsDir, owner: owned.owner },
      },
    ];
  return [
    {
      ...declaredAt(dir),
      severity: "warning",
      message: `${dir.declaredAt.file} sets no migrations_dir for ${dir.databases[0] ?? "its D1 binding"}, so \`wrangler d1 migrations apply\` reads migrations/ next to it, which does not exist, and applies nothing; ${dir.rel}/ (${names.length} file${names.length === 1 ? "" : "s"}) is the nearest migrations folder above it and was checked instead`,
      fix: `If ${dir.rel}/ holds this database's migrations, add \`${key}\` to the D1 binding (it is relative to the config file), so that wrangler applies them. If another tool applies them, this finding is expected: blastwall checked them as if wrangler did.`,
      data: { migrationsDir: a.migrationsDir },
    },
  ];
}

/** The folder holds one folder per migration and no `*.sql`, and no migrations_pattern tells wrangler so. */
function nestedWithoutPattern({ dir, names }: D1FolderContext): FolderHit[] {
  if (!dir.nestedWithoutPattern) return [];
  const base = dir.declaredAt.explicit ? dir.rel : "migrations";
  const key = configKey(dir, "migrations_pattern", `${base}/*/migration.sql`);
  return [
    {
      ...declaredAt(dir),
      severity: "warning",
      message: `${dir.rel}/ holds no .sql file, only one folder per migration (${names[0] ?? "<name>/migration.sql"}${names.length > 1 ? ` and ${names.length - 1} more` : ""}), and ${dir.databases.join(", ")} sets no migrations_pattern: \`wrangler d1 migrations apply\` reads only ${dir.rel}/*.sql and applies nothing; the ${names.length} migration${names.length === 1 ? " was" : "s were"} checked as wrangler 4.98+ would read them with a pattern`,
      fix: `Add \`${key}\` to this D1 binding (wrangler 4.98+; migrations_pattern must start with migrations_dir${dir.declaredAt.explicit ? "" : ", so also set migrations_dir"}).`,
      data: { pattern: "*/migration.sql" },
    },
  ];
}

/** `migrations_dir` set in the config, but no such folder: nothing can be checked, and wrangler fails the same way. */
export default defineRule({
  meta,
  checkFolder(ctx) {
    const { dir } = ctx;
    if (dir.throughPackage) return throughPackage(dir);
    if (dir.drizzle) return drizzleElsewhere(ctx);
    if (dir.above) return migrationsAbove(ctx);
    if (dir.nestedWithoutPattern) return nestedWithoutPattern(ctx);
    if (dir.exists || !dir.declaredAt.explicit) return [];
    if (dir.missingPackage)
      return [
        {
          ...declaredAt(dir),
          message: `migrations_dir "${dir.rel}" of ${dir.databases.join(", ")} is inside node_modules, and the package ${dir.missingPackage} is neither installed there nor a package of this repo's workspaces, so no migration of this database can be checked`,
          fix: `Run \`npm install\` (or your package manager's install) before \`blastwall check\`, so that node_modules/${dir.missingPackage} exists; if ${dir.missingPackage} is a package of this repo, check that its package.json "name" is exactly "${dir.missingPackage}" and that the root package.json "workspaces" (or pnpm-workspace.yaml) lists its folder.`,
        },
      ];
    return [
      {
        ...declaredAt(dir),
        message: `migrations_dir "${dir.rel}" of ${dir.databases.join(", ")} does not exist, so no migration of this database can be checked`,
        fix: `Create ${dir.rel} with \`wrangler d1 migrations create <db> <name>\`, or point migrations_dir at the folder that holds the .sql files (it is relative to the config file).`,
      },
    ];
  },
});
