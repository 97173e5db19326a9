import { defineRule } from "../rule.js";

// `$(cat x.html)`, `$(<x.html)`, `$(date +%s)`: command substitution with a command a script would run.
const COMMAND =
  /\$\(\s*(?:<|(?:cat|echo|printf|date|openssl|uuidgen|jq|sed|awk|base64|node|python3?|curl|head|tail|tr|xxd|sha256sum|shasum|git|npx|wrangler)\b)[^\n]*/g;
// `${ADMIN_EMAIL}` or `$ADMIN_EMAIL`: an environment variable as envsubst or a shell would fill it. Upper case only,
// so `${name}` placeholders an app's own templates use are left alone.
const ENV_VAR = /\$\{[A-Z][A-Z0-9_]{2,}\}|\$[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g;

/** The statement's text with `--` comment lines blanked, so line numbers still count. */
function code(sql: string): string {
  return sql
    .split("\n")
    .map((l) => (l.trimStart().startsWith("--") ? "" : l))
    .join("\n");
}

/**
 * Shell syntax in a migration: text a script was meant to expand before the SQL ran. wrangler sends the file to D1
 * as it is, so the literal `$(…)` or `${VAR}` is what gets stored or compared.
 */
export default defineRule({
  meta: {
    id: "d1/shell-substitution",
    severity: "error",
    summary: "A migration holds shell command substitution or an environment variable that nothing expands",
  },
  checkMigration: ({ file }) =>
    file.statements.flatMap((stmt) => {
      const text = code(stmt.sql);
      const seen = new Set<number>();
      return [...text.matchAll(COMMAND), ...text.matchAll(ENV_VAR)].flatMap((match) => {
        const line = stmt.line + (text.slice(0, match.index).match(/\n/g)?.length ?? 0);
        if (seen.has(line)) return [];
        seen.add(line);
        const whole = match[0].trim();
        const shown = whole.slice(0, 60) + (whole.length > 60 ? "…" : "");
        const command = shown.startsWith("$(");
        return [
          {
            line,
            message: command
              ? `\`${shown}\` is shell command substitution, but wrangler sends ${file.name} to D1 as it is: nothing runs the command, so the statement works with the literal text (and any quote inside it ends the SQL string early), not with what the command prints. Where the statement still runs, it writes that text into production rows.`
              : `\`${shown}\` is an environment variable for a shell or envsubst to fill in, but wrangler sends ${file.name} to D1 as it is: every database gets the literal \`${shown}\`.`,
            fix: command
              ? `Expand it before it becomes a migration: have a script write the finished SQL (the content quoted, each ' doubled) into a new migration and commit that file. If ${file.name} has been applied somewhere, leave it (wrangler recorded it) and correct the rows in the new migration.`
              : `Write the value into the migration, or set it where it belongs: a secret (\`wrangler secret put\`) or a row written by an admin step with bound parameters. If ${file.name} has been applied somewhere, leave it and correct the rows in a new migration.`,
          },
        ];
      });
    }),
});
