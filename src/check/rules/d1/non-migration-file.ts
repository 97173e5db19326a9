import { literalCredential } from "../../d1/credentials.js";
import { folderBindings, type MigrationsDir, migrationPath, readMigration } from "../../d1/migrations.js";
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
/** A statement that writes rows (outside `--` comments is not checked: a seed's rows are its statements). */
const WRITES_ROWS = /\b(?:insert|replace)\s+(?:or\s+\w+\s+)?into\b|\bupdate\s+["`[]?\w+["`\]]?\s+set\b/i;
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
  // A name that says seed is data only when the file writes rows: `0016_add_qa_seed_state.sql` that only creates
  // tables is a migration about a feature so named.
  const seed = SEED.test(stem) && WRITES_ROWS.test(text());
  if (seed && !/^\d/.test(name)) return atTop("looks like seed data");
  if (seed && NOT_PRODUCTION.test(stem)) return atTop("is named as seed data for a non-production environment");
  // Whatever its name (`0002_create_users.sql`, `0005_add_demo_clinician.sql`), a literal password is a known login;
  // a file named as a seed counts salts and keys too.
  const cred = literalCredential(text(), seed);
  if (cred) return { why: `seeds ${cred.what}, so every database gets the same known login`, line: cred.line };
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
  const bindings = folderBindings(dir);
  return bindings.length === 0 || bindings.some(({ binding }) => binding.database_id !== undefined);
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
