import { resolve } from "node:path";
import { bindingMigrations } from "../../../project/d1-migrations.js";
import { type MigrationsDir, migrationPath, readMigration } from "../../d1/migrations.js";
import type { RuleMeta } from "../../findings.js";
import { insertValues } from "../../sql/insert-values.js";
import { splitStatements } from "../../sql/split.js";
import { setAssignments, type Token, tokenize } from "../../sql/tokens.js";
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
/** A column or table name with case and separators dropped: `passwordHash`, `password_hash` → `passwordhash`. */
const squash = (name: string) => name.toLowerCase().replace(/[_\-\s]/g, "");
/** Credential columns: a literal there ships one known login to every database the folder is applied to. */
const CREDENTIAL = new Set([
  ...["password", "passwd", "pwd", "passwordhash", "passwordsalt", "passhash", "hashedpassword", "passworddigest"],
  ...["pwdhash", "salt", "apikey", "apisecret", "clientsecret", "secret"],
]);
/** Password columns: a migration of any name that fills one with a literal ships a known login. */
const LOGIN = new Set([
  "password",
  "passwd",
  "pwd",
  "passwordhash",
  "passhash",
  "hashedpassword",
  "passworddigest",
  "pwdhash",
]);
/** Who a password belongs to. */
const IDENTITY = new Set(["email", "emailaddress", "username", "login", "userid", "handle", "account"]);
/** A table of API keys or tokens (`api_keys`, `access_tokens`), and the columns that hold the key itself. */
const KEY_TABLE = /(apikey|apitoken|accesstoken|accesskey|authtoken|secret)s?$/;
const KEY_COLUMN = new Set(["key", "token", "secret", "value", "apikey", "keyvalue", "keyhash", "tokenhash", "hash"]);

/** A single non-empty string literal: what nobody can keep secret once it is committed. */
const literal = (item: readonly Token[] | undefined) =>
  item?.length === 1 && item[0]?.kind === "string" && item[0].text.length > 0;

/** The key and value columns of a settings table (`admin_config (key, value)`, `settings (name, setting_value)`). */
const SETTING_KEY = new Set(["key", "name", "settingkey", "configkey", "setting", "optionname", "k"]);
const SETTING_VALUE = new Set(["value", "settingvalue", "configvalue", "optionvalue", "val", "v"]);
/** A setting that holds a credential: `password`, `admin_password`, `jwt_secret`, `api_key` (not `password_min_length`). */
const CREDENTIAL_SETTING = /(^|[_\-.])(password|passwd|pwd|secret|api[_\-.]?key|token|pin)$/i;
/** Values that switch or size a setting, or a JSON section of settings, rather than being the credential itself. */
const NOT_A_CREDENTIAL = /^(true|false|yes|no|on|off|enabled|disabled|null|none|\d{1,2})$|^\s*[{[]/i;

/**
 * A settings row whose key names a credential and whose value is a literal: `INSERT INTO admin_config (key, value)
 * VALUES ('password', 'admin')` ships the same login to every database.
 */
function literalSetting(insert: NonNullable<ReturnType<typeof insertValues>>): string | undefined {
  const names = insert.columns.map(squash);
  const k = names.findIndex((c) => SETTING_KEY.has(c));
  const v = names.findIndex((c) => SETTING_VALUE.has(c));
  if (k < 0 || v < 0) return undefined;
  for (const row of insert.rows) {
    const key = row[k]?.[0];
    const value = row[v]?.[0];
    if (!literal(row[k]) || !literal(row[v]) || !key || !value) continue;
    if (CREDENTIAL_SETTING.test(key.text) && !NOT_A_CREDENTIAL.test(value.text)) return key.text;
  }
  return undefined;
}

/**
 * The credential a file fills with a literal, and the line of the statement: an INSERT … VALUES whose row gives a
 * password column (beside whose login it is), an API-key table's key, a settings row keyed by a credential, or, in a
 * seed file (`all`), any credential column a string; or an UPDATE that sets a password column to one.
 */
function literalCredential(text: string, all: boolean): { what: string; line: number } | undefined {
  // Only a file that writes rows and names a credential-like word is split into statements (`PRIMARY KEY` alone
  // would let nearly every migration through).
  if (!/\b(insert|update)\b/i.test(text) || !/pass|pwd|salt|secret|key|token/i.test(text)) return undefined;
  for (const stmt of splitStatements(text).statements) {
    const insert = insertValues(stmt.sql);
    if (insert) {
      const names = insert.columns.map(squash);
      const keyTable = KEY_TABLE.test(squash(insert.table));
      const at = names.findIndex((c) => (all ? CREDENTIAL : LOGIN).has(c) || (keyTable && KEY_COLUMN.has(c)));
      const col = insert.columns[at];
      // Outside a seed file, a password is a login only beside whose it is (a challenge's answer hash is not).
      const owned = all || keyTable || names.some((c) => IDENTITY.has(c));
      if (col && owned && insert.rows.some((row) => literal(row[at])))
        return { what: `literal ${col} values`, line: stmt.line };
      const setting = literalSetting(insert);
      if (setting) return { what: `a literal '${setting}' in ${insert.table}`, line: stmt.line };
      continue;
    }
    const set = setAssignments(tokenize(stmt.sql));
    const reset = set?.find((a) => a.columns.length === 1 && LOGIN.has(squash(a.columns[0] ?? "")) && literal(a.value));
    if (reset?.columns[0]) return { what: `literal ${reset.columns[0]} values`, line: stmt.line };
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
