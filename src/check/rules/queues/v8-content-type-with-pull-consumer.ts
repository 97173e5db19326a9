import { at, type ConfigRule, type ConfigRuleContext } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";

export const meta: RuleMeta = {
  id: "queues/v8-content-type-with-pull-consumer",
  severity: "error",
  summary: "Messages sent with the v8 content type cannot be read by a pull (http_pull) consumer.",
};

/** Compatibility date from which producers default to the json content type. */
export const JSON_DEFAULT_DATE = "2024-03-18";

/** Queues that some Worker of the project consumes over HTTP pull. */
export function pullQueues(ctx: Pick<ConfigRuleContext, "projectSections">): Set<string> {
  const out = new Set<string>();
  for (const { section } of ctx.projectSections) {
    for (const c of section.settings.queues.consumers) if (c.type === "http_pull") out.add(c.queue);
  }
  return out;
}

/** Producers whose default content type is still v8 (old compatibility date, no queues_json_messages flag). */
export const rule: ConfigRule = {
  meta,
  check(ctx) {
    const pulled = pullQueues(ctx);
    if (pulled.size === 0) return [];
    return ctx.sections.flatMap((s) => {
      const date = s.compatibilityDate;
      const jsonDefault =
        (date !== undefined && date >= JSON_DEFAULT_DATE) || s.compatibilityFlags.includes("queues_json_messages");
      if (jsonDefault) return [];
      return s.settings.queues.producers
        .map((p, i) => ({ p, i }))
        .filter(({ p }) => pulled.has(p.queue))
        .map(({ p, i }) =>
          at(
            ctx,
            meta,
            [...s.prefix, "queues", "producers", i, "queue"],
            `${p.binding} sends to ${p.queue}, which has a pull consumer, with the v8 content type (compatibility_date ${date ?? "unset"} is before ${JSON_DEFAULT_DATE}): pull consumers cannot decode v8 messages`,
            `add "queues_json_messages" to compatibility_flags (or move compatibility_date to ${JSON_DEFAULT_DATE} or later), or send with \`${p.binding}.send(body, { contentType: "json" })\``,
            { binding: p.binding, queue: p.queue, compatibility_date: date ?? null },
          ),
        );
    });
  },
};
