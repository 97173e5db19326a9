import type { DurableObjectBinding } from "../../../project/wrangler-config.js";
import type { ConfigRuleContext } from "../../config/rule.js";
import { type ClassLifecycle, type ConfigSection, type KeyPath, sectionClasses } from "../../config/sections.js";

export interface BoundClass {
  section: ConfigSection;
  binding: DurableObjectBinding;
  /** Where the binding's class_name is written. */
  path: KeyPath;
  /** The section that must provide the class: this one, or the Worker `script_name` names. */
  target: ConfigSection;
  /** The class's final state in the target; undefined when no migration or export mentions it. */
  lifecycle: ClassLifecycle | undefined;
}

/**
 * Every Durable Object binding of a config with the section that provides its class. Bindings to Workers
 * outside the project are left out: their migrations are not here to check.
 */
export function boundClasses(ctx: ConfigRuleContext): BoundClass[] {
  const out: BoundClass[] = [];
  for (const section of ctx.sections) {
    section.settings.durable_objects.bindings.forEach((binding, i) => {
      if (!binding.class_name) return;
      const target =
        binding.script_name === undefined || binding.script_name === section.scriptName
          ? section
          : ctx.projectSections.find((p) => p.section.scriptName === binding.script_name)?.section;
      if (!target) return;
      out.push({
        section,
        binding,
        path: [...section.prefix, "durable_objects", "bindings", i, "class_name"],
        target,
        lifecycle: sectionClasses(target).get(binding.class_name),
      });
    });
  }
  return out;
}
