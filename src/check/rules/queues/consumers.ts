import type { QueueConsumer } from "../../../project/wrangler-config.js";
import type { ConfigRuleContext } from "../../config/rule.js";
import type { ConfigSection, KeyPath } from "../../config/sections.js";

/** Every queue consumer of a config (consumers are not inherited by envs) with where it is written. */
export function consumers(
  ctx: ConfigRuleContext,
): { section: ConfigSection; consumer: QueueConsumer; path: KeyPath }[] {
  return ctx.sections.flatMap((section) =>
    section.settings.queues.consumers.map((consumer, i) => ({
      section,
      consumer,
      path: [...section.prefix, "queues", "consumers", i],
    })),
  );
}
