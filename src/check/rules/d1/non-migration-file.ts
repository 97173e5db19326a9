import { resolve } from "node:path";
import { bindingMigrations } from "../../../project/d1-migrations.js";
import { type MigrationsDir, migrationPath, readMigration } from "../../d1/migrations.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/non-migration-file",
  severity: "error",
  summary: "A seed, test-data or schema file sits in the migrations folder, where wrangler applies it to production",
};

/** Data for tests or demos: never wanted in production, numbered or not. */
const TEST_DATA = /(^|[_\-.\d])(test[_-]?data|dummy|fake|mock|mocks|sample[_-]?data|fixtures?)([_\-.]|$)/i;
/** Seed files: a numbered `0004_seed_roles.sql` is usually reference data on purpose, an unnumbered `seed.sql` not. */
const SEED = /(^|[_\-.\d])(seeds?|seeding|seed[_-]?data)([_\-.]|$)/i;
/** A seed named for an environment that is not production: `0001_seed_dev.sql`, `0003_demo_seed.sql`. */
const NOT_PRODUCTION = /(^|[_\-.\d])(dev|development|demo|local|example|staging|qa)([_\-.]|$)/i;
/** A whole-schema file (`schema.sql`, `init.sql`, `full_schema.sql`), run by hand with `d1 execute --file`. */
const SCHEMA_FILE = /^(schema|full[_-]?schema|db[_-]?schema|database|init|init[_-]?db|setup|dump|structure|tables)$/i;
/** Statements that destroy rows when a schema file meets a database that already has its tables. */
const DESTROYS = /\b(drop\s+table(?:\s+if\s+exists)?|delete\s+from)\s+["`[]?(\w+)/gi;
/**
 * A comment that calls the rows of the INSERT right below it sample or demo data: `-- Insert sample posts`,
 * `-- demo data`; not a thing named so (`-- Insert demo login plugin`).
 */
const DEMO_INSERT =
  /^[ \t]*--[^\n]*\b(sample|demo|dummy|fake|mock)\b(?![ \t]+of\b)(?:[ \t]+[\w-]+){0,3}?[ \t]+(data|rows|records|entries|content|[a-z]+s)\b[^\n]*\n(?:[ \t]*\n)*[ \t]*INSERT\b/gim;
/** Credential columns: a literal there ships one known login to every database the folder is applied to. */
const CREDENTIAL = /^(password|passwd|pwd|password_hash|password_salt|pass_hash|hashed_password|salt|api_key|secret)$/i;
/** Password columns: a migration of any name that fills one with a literal ships a known login. */
const LOGIN = /^(password|passwd|pwd|password_hash|pass_hash|hashed_password)$/i;
/** Who a password belongs to. */
const IDENTITY = /^(email|e_mail|username|user_name|login|user_id|handle|account)$/i;
const INSERT_COLUMNS = /\binsert\s+(?:or\s+\w+\s+)?into\s+[^\s(]+\s*\(([^)]*)\)\s*values\b/gi;

/** The credential column (by `columns`) a file fills with literal VALUES, if any. */
function literalCredential(text: string, columns: RegExp = CREDENTIAL): string | undefined {
  for (const m of text.matchAll(INSERT_COLUMNS)) {
    const names = (m[1] ?? "").split(",").map((c) => c.trim().replace(/^["`[]|["`\]]$/g, ""));
    const col = names.find((c) => columns.test(c));
    // Outside a seed file, a password is a login only beside whose it is (a challenge's answer hash is not).
    if (col && (columns === CREDENTIAL || names.some((c) => IDENTITY.test(c)))) return col;
  }
  return undefined;
}

/** Why a file looks like seed or test data, and the line to show, or undefined for a migration. */
function strayData(name: string, read: () => string): { why: string; line: number; byComment?: true } | undefined {
  // Read the file once, and only when its name does not settle it.
  let content: string | undefined;
  const text = () => {
    content ??= read();
    return content;
  };
  const atTop = (why: string) => ({ why, line: 1 });
  const stem = name.replace(/\.sql$/, ".");
  // A schema file that empties tables: databases set up from it by hand hold rows it destroys when wrangler applies it.
  if (SCHEMA_FILE.test(name.replace(/\.sql$/, ""))) {
    const tables = [...new Set([...text().matchAll(DESTROYS)].map((m) => m[2] ?? ""))];
    if (tables.length > 0)
      return atTop(
        `is a schema file that empties ${tables.join(", ")} (DROP TABLE / DELETE FROM): a database set up from it by hand, then migrated, loses those rows when wrangler applies it as a migration`,
      );
  }
  if (TEST_DATA.test(stem)) return atTop("looks like test data");
  const seed = SEED.test(stem);
  if (seed && !/^\d/.test(name)) return atTop("looks like seed data");
  if (seed && NOT_PRODUCTION.test(stem)) return atTop("is named as seed data for a non-production environment");
  // Whatever its name (`0002_create_users.sql`, `0005_add_demo_clinician.sql`), a literal password is a known login;
  // a file named as a seed counts salts and keys too.
  const col = literalCredential(text(), seed ? CREDENTIAL : LOGIN);
  if (col) return atTop(`seeds literal ${col} values, so every database gets the same known login`);
  const demo = [...text().matchAll(DEMO_INSERT)][0];
  if (!demo) return undefined;
  return {
    why: `inserts rows that its own comment calls ${demo[1]?.toLowerCase()} data (${demo[0].split("\n")[0]?.trim()})`,
    line: text()
      .slice(0, (demo.index ?? 0) + demo[0].length)
      .split("\n").length,
    byComment: true,
  };
}

/**
 * Whether some binding that applies this folder can reach a remote database: `wrangler d1 migrations apply --remote`
 * needs a `database_id`, so a folder only id-less (local, demo) bindings apply never reaches production. Unknown
 * (no binding found) counts as reachable.
 */
function reachesRemote(dir: MigrationsDir): boolean {
  let matched = false;
  for (const cfg of dir.configs) {
    const bindings = [...cfg.d1_databases, ...Object.values(cfg.env).flatMap((e) => e.d1_databases)];
    for (const b of bindings) {
      let listed: string;
      try {
        listed = bindingMigrations(cfg, b, dir.order).dir;
      } catch {
        continue;
      }
      if (resolve(listed) !== resolve(dir.dir)) continue;
      matched = true;
      if (b.database_id !== undefined) return true;
    }
  }
  return !matched;
}

/**
 * A `.sql` file named like seed or test data, or a schema file that drops or empties tables: wrangler applies every
 * `.sql` in the folder, in name order, to every database.
 */
export default defineRule({
  meta,
  checkFolder({ dir, names }) {
    const hits = names.flatMap((name) => {
      const stray = strayData(name, () => readMigration(migrationPath(dir, name)).text);
      if (!stray) return [];
      const { why, line, byComment } = stray;
      return [
        {
          name,
          line,
          // A comment's word is weaker evidence than a file's name or a literal password.
          ...(byComment ? { severity: "warning" as const } : {}),
          message: `${name} ${why}, and \`wrangler d1 migrations apply --remote\` applies every .sql in ${dir.rel}/ to production`,
          fix: why.includes("schema file")
            ? `move it out of ${dir.rel}/ (e.g. to ${name} at the project root) so wrangler stops applying it, and let new databases get their tables from the migrations alone; to reset a local database, run it with \`wrangler d1 execute <db> --local --file ${name}\``
            : `move it out of ${dir.rel}/ (e.g. to seeds/${name}) and load it with \`wrangler d1 execute <db> --local --file seeds/${name}\`; if it is a real migration, rename it to say what it changes${why.includes("login") ? ", and create the first account at deploy time from a secret instead of a literal" : ""}`,
        },
      ];
    });
    // Only a folder with a stray file is worth resolving every binding's folder for.
    return hits.length > 0 && reachesRemote(dir) ? hits : [];
  },
});
