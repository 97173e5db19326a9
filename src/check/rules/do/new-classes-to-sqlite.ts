import { at, kv, stepName } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/new-classes-to-sqlite",
  severity: "error",
  summary: "A class created with new_classes (KV storage) cannot later be listed in new_sqlite_classes.",
};

/** A KV-backed class that a later step tries to recreate as SQLite-backed. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return ctx.sections
      .filter((s) => s.ownMigrations)
      .flatMap((s) => {
        const kvClasses = new Map<string, string>();
        return s.migrations.flatMap((m, i) => {
          const hits = (m.new_sqlite_classes ?? []).flatMap((cls) => {
            const createdBy = kvClasses.get(cls);
            if (createdBy === undefined) return [];
            const newName = `${cls}V2`;
            return [
              at(
                ctx,
                meta,
                [...s.migrationsAt, i, "new_sqlite_classes"],
                `${stepName(m.tag, i)} lists ${cls} in new_sqlite_classes, but ${createdBy} created it with new_classes: a KV-backed class cannot be converted to SQLite storage, and the deploy is rejected`,
                `leave ${cls} on KV storage, or create a new SQLite class (${kv(ctx, "new_sqlite_classes", [newName])}), copy each object's data into ${newName}, and move bindings to it`,
                { class: cls },
              ),
            ];
          });
          for (const cls of m.new_classes ?? []) kvClasses.set(cls, stepName(m.tag, i));
          return hits;
        });
      });
  },
});
