import { at, kv, sectionName } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { boundClasses } from "./bindings.js";

export const meta: RuleMeta = {
  id: "do/class-not-created",
  severity: "error",
  summary: "A binding names a Durable Object class that no migration creates: the deploy fails with 10061.",
};

/** A bound class that no `new_classes`, `new_sqlite_classes`, rename, transfer or live export provides. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return boundClasses(ctx)
      .filter(
        (b) => b.lifecycle === undefined || b.lifecycle.state === "renamed" || b.lifecycle.state === "transferred",
      )
      .map((b) => {
        const cls = b.binding.class_name;
        const gone = b.lifecycle ? ` (a migration ${b.lifecycle.state} it away)` : "";
        const usesExports = b.target.exports !== undefined;
        const tag = `v${b.target.migrations.length + 1}`;
        return at(
          ctx,
          meta,
          b.path,
          `binding ${b.binding.name} in ${sectionName(b.section)} names Durable Object class ${cls}, which no migration creates${gone}: the deploy fails with error 10061`,
          usesExports
            ? `declare it in exports: "${cls}": { "type": "durable-object", "storage": "sqlite" }`
            : `append a migration step that creates it: { ${kv(ctx, "tag", tag)}, ${kv(ctx, "new_sqlite_classes", [cls])} }`,
          { binding: b.binding.name, class: cls, code: 10061 },
        );
      });
  },
});
