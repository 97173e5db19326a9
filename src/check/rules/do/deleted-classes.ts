import { at, commentMarker, stepName } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/deleted-classes",
  severity: "error",
  summary: "A migration's deleted_classes destroys every object of the class and its storage, permanently.",
};

/** Every class in any `deleted_classes`. It passes only under a suppression that gives a reason. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return ctx.sections
      .filter((s) => s.ownMigrations)
      .flatMap((s) =>
        s.migrations.flatMap((m, i) =>
          (m.deleted_classes ?? []).map((cls) =>
            at(
              ctx,
              meta,
              [...s.migrationsAt, i, "deleted_classes"],
              `${stepName(m.tag, i)} deletes Durable Object class ${cls}: every ${cls} object and its stored data is destroyed on deploy, and no rollback brings it back`,
              `keep ${cls}: take it out of deleted_classes and leave the class exported (an idle class costs nothing). If the data must go, export it first, remove every binding to ${cls}, then mark the intent on the line above: \`${commentMarker(ctx)} blastwall-ignore ${meta.id}: <why ${cls}'s data can be destroyed>\``,
              { class: cls, tag: m.tag, env: s.env ?? null },
            ),
          ),
        ),
      );
  },
});
