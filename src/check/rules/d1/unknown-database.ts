import { basename, relative, sep } from "node:path";
import type { D1Binding, WranglerConfig } from "../../../project/wrangler-config.js";
import { folderBindings, type MigrationsDir } from "../../d1/migrations.js";
import { type D1Script, d1Scripts } from "../../d1/order-apply-scripts.js";
import type { FolderHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const slash = (p: string) => p.split(sep).join("/");

/** A name filled in at run time (`$DB`, `${DB_NAME}`, `<database>`): nothing to compare. */
const TEMPLATED = /[$<{%]/;

/** The D1 bindings wrangler reads for a command: the named environment's (they are not inherited), or the top level's. */
function bindingsFor(cfg: WranglerConfig, env: string | undefined): D1Binding[] | undefined {
  if (env === undefined) return cfg.d1_databases;
  return cfg.env[env]?.d1_databases;
}

/** Whether `dir` is the folder of the config's first D1 binding, so each script is reported once per config. */
function ownsReport(dir: MigrationsDir, cfg: WranglerConfig, bindings: readonly D1Binding[]): boolean {
  const first = bindings[0] ?? Object.values(cfg.env).flatMap((e) => e.d1_databases)[0];
  return folderBindings(dir).some((b) => b.cfg === cfg && b.binding === first);
}

/** What wrangler does with a name it cannot find in the config, for this command. */
function outcome(s: D1Script, name: string, file: string): string | undefined {
  if (s.local) return undefined;
  if (s.sub === "migrations apply" || s.sub === "migrations list") {
    return s.remote
      ? `stops with "Couldn't find a D1 DB with the name or binding '${name}' in your ${file} file", so the remote database never gets the folder`
      : `applies the default migrations/ folder to a separate local database called ${name} (without \`--remote\` it runs locally, since wrangler 3.33), not to the one the Worker binds`;
  }
  if ((s.sub === "execute" || s.sub === "export") && s.remote)
    return `looks ${name} up among the account's databases instead, so it runs on a database this Worker does not bind (or stops when the account has none of that name)`;
  return undefined;
}

/**
 * A package.json script runs `wrangler d1 migrations apply <name>` (or `execute`/`export --remote`) with a name that
 * is neither a `binding` nor a `database_name` of the config it uses: wrangler matches the name against the config
 * only, so the command fails, or runs on some other database.
 */
export default defineRule({
  meta: {
    id: "d1/unknown-database",
    severity: "warning",
    summary: "A script names a D1 database that the wrangler config it uses does not bind",
  },
  checkFolder({ dir, names }) {
    if (!dir.exists || names.length === 0) return [];
    const root = dir.root;
    const hits: FolderHit[] = [];
    for (const s of d1Scripts(root)) {
      const cfg = dir.configs.find((c) => c.path === s.config);
      const name = s.database;
      if (!cfg || !name || TEMPLATED.test(name)) continue;
      const bindings = bindingsFor(cfg, s.env);
      if (!bindings || !ownsReport(dir, cfg, bindings)) continue;
      if (bindings.some((b) => b.binding === name || b.database_name === name)) continue;
      const file = basename(cfg.path);
      const what = outcome(s, name, file);
      if (!what) continue;
      const known = bindings.map((b) => (b.database_name ? `${b.database_name} (binding ${b.binding})` : b.binding));
      const target = bindings[0]?.database_name ?? bindings[0]?.binding;
      const section = s.env ? `env.${s.env} in ${file}` : file;
      const command = `wrangler d1 ${s.sub} ${name}${s.remote ? " --remote" : ""}`;
      hits.push({
        file: slash(relative(root, s.pkg)),
        line: s.line,
        message: `the \`${s.script}\` script runs \`${command}\`, but ${section} binds ${known.length ? known.join(", ") : "no D1 database"}: wrangler matches the name against the config only, so the command ${what}`,
        fix: target
          ? `Name a database the config binds: \`wrangler d1 ${s.sub} ${target}${s.sub.startsWith("migrations") || s.remote ? " --remote" : ""}\` (the binding name works too, and survives renaming the database)${s.env ? ` with --env ${s.env}` : ""}.`
          : `Add the database to ${section} as a \`d1_databases\` entry, or point the script at the config that binds it with \`-c\`.`,
        data: { script: s.script, database: name, config: slash(relative(root, cfg.path)) },
      });
    }
    return hits;
  },
});
