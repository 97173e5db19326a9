import { insertValues } from "../sql/insert-values.js";
import { splitStatements } from "../sql/split.js";
import { setAssignments, type Token, tokenize } from "../sql/tokens.js";

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

/** A value to fill in (`YOUR_API_KEY`, `<token>`, `replace-me`), which works as no one's credential. */
const PLACEHOLDER = /^(your[_\-\s]|<.*>$|x{4,}$)|placeholder|replace[_\-\s]?(me|this|with)|_here$/i;

/** A single non-empty string literal: what nobody can keep secret once it is committed. */
const literal = (item: readonly Token[] | undefined) =>
  item?.length === 1 && item[0]?.kind === "string" && item[0].text.length > 0 && !PLACEHOLDER.test(item[0].text);

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
 *
 * @example
 * literalCredential("INSERT INTO users (email, password_hash) VALUES ('ops@x.io', '6b0e');", false);
 * // { what: "literal password_hash values", line: 1 }
 */
export function literalCredential(text: string, all: boolean): { what: string; line: number } | undefined {
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
