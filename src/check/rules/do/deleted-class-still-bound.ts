import { at, sectionName } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { boundClasses } from "./bindings.js";

export const meta: RuleMeta = {
  id: "do/deleted-class-still-bound",
  severity: "error",
  summary: "A binding names a Durable Object class that a migration deletes: the deploy fails with 10061.",
};

/** A binding, in this env or another, whose class the target Worker's migrations delete. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return boundClasses(ctx)
      .filter((b) => b.lifecycle?.state === "deleted")
      .map((b) =>
        at(
          ctx,
          meta,
          b.path,
          `binding ${b.binding.name} in ${sectionName(b.section)} names Durable Object class ${b.binding.class_name}, which ${b.target === b.section ? "this section's" : `${b.target.scriptName}'s`} migrations delete: the API rejects the deploy with error 10061`,
          `remove the ${b.binding.name} binding (and its uses in code) before deleting ${b.binding.class_name}, or keep ${b.binding.class_name} and drop it from deleted_classes`,
          { binding: b.binding.name, class: b.binding.class_name, code: 10061 },
        ),
      );
  },
});
