import { git } from "../../d1/git-history.js";
import { type D1FinalContext, ident } from "../../d1/rule.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";
import { missingFrom } from "./nested-migration.js";

/** `0007_add_tenant.sql.bak` → `0007_add_tenant.sql`. */
const applyName = (name: string) => name.replace(/(\.sql)(?:\..*|~)$/i, "$1");

/** "renamed from 0007_x.sql in commit 975a3a7 (2025-12-17)", from git, when the folder's history says so. */
function renamedWhen(ctx: D1FinalContext, name: string): string | undefined {
  const out = git(ctx.dir.dir, [
    "log",
    "-1",
    "--format=%h %cs",
    "-M",
    "--diff-filter=R",
    "--name-status",
    "--",
    applyName(name),
    name,
  ]);
  const lines = (out ?? "").split("\n").filter(Boolean);
  const head = lines[0]?.split(" ");
  if (!head?.[0] || !lines.some((l) => l.startsWith("R") && l.endsWith(name))) return undefined;
  return `renamed from ${applyName(name)} in commit ${head[0]} (${head[1] ?? "?"})`;
}

/** Whether a migration named `name` (or with a higher number) is applied after where this one sat. */
function inTheMiddle(ctx: D1FinalContext, name: string): boolean {
  const n = /^(\d+)/.exec(name)?.[1];
  const last = /^(\d+)/.exec(ctx.last)?.[1];
  return n !== undefined && last !== undefined && Number(last) > Number(n);
}

/**
 * `0007_add_tenant.sql.bak`: a migration renamed so that wrangler no longer applies it (it lists only `.sql` files).
 * Databases that applied it before the rename have what it made; every database built since lacks it. Reported when
 * the Workers' code uses a table or column that only such a file makes.
 */
export default defineRule({
  meta: {
    id: "d1/set-aside-migration",
    severity: "error",
    summary: "A migration renamed out of wrangler's reach (`.sql.bak`) makes what the code uses",
  },
  checkFinalSchema: (ctx) =>
    ctx.setAside.flatMap((f): PlacedHit[] => {
      const m = missingFrom(f.sql, ctx);
      if (!m) return [];
      const what = [...m.tables, ...m.columns];
      const them = what.length === 1 ? "it" : "them";
      const renamed = renamedWhen(ctx, f.name);
      const before = renamed
        ? `Databases that applied ${applyName(f.name)} before it was ${renamed} have ${them} (wrangler recorded the name), every database built since does not, `
        : inTheMiddle(ctx, f.name)
          ? `Its number sits before ${ctx.last}, so databases that applied it under its .sql name have ${them} while every database built since does not, `
          : "Every database built by `migrations apply` lacks them, ";
      return [
        {
          file: ctx.dir.rel === "." ? f.name : `${ctx.dir.rel}/${f.name}`,
          line: m.line,
          message: `${f.name} is a migration set aside under a name wrangler does not apply (\`wrangler d1 migrations apply\` lists only .sql files), and no migration it applies makes ${what.join(", ")}. ${before}and the Workers' code uses ${them}, so those queries fail there.`,
          fix: `If the change is wanted, put it in a new migration after ${ctx.last}, written to pass where ${applyName(f.name)} already ran (\`CREATE TABLE IF NOT EXISTS ${ident(m.tables[0] ?? "t")}\`; an ADD COLUMN in a migration of its own, recorded as applied on databases that have the column), then delete ${f.name}. If it is not wanted, drop what it made on the databases that have it, in a new migration, and change the code that uses it.`,
          data: { tables: m.tables, columns: m.columns, setAside: f.name },
        },
      ];
    }),
});
