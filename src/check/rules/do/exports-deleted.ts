import { isRecord } from "../../../project/wrangler-config.js";
import { at, commentMarker } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/exports-deleted",
  severity: "error",
  summary: 'A Durable Object class in state "deleted" in `exports` destroys its objects and storage, permanently.',
};

/** The declarative `exports` form's equivalent of deleted_classes. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return ctx.sections
      .filter((s) => s.ownExports && s.exports)
      .flatMap((s) =>
        Object.entries(s.exports ?? {})
          .filter(([, decl]) => isRecord(decl) && decl.state === "deleted")
          .map(([cls]) =>
            at(
              ctx,
              meta,
              [...s.exportsAt, cls, "state"],
              `exports marks Durable Object class ${cls} "deleted": every ${cls} object and its stored data is destroyed on deploy, and no rollback brings it back`,
              `keep ${cls} live (drop "state": "deleted") and leave the class exported. If the data must go, export it first, remove every binding to ${cls}, then mark the intent on the line above: \`${commentMarker(ctx)} blastwall-ignore ${meta.id}: <why ${cls}'s data can be destroyed>\``,
              { class: cls, env: s.env ?? null },
            ),
          ),
      );
  },
});
