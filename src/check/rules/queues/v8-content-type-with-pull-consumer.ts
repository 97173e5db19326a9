import ts from "typescript";
import { calleeName, constantString, lastName, memberName, nodeIndex, receiverOf, unwrap } from "../../code/ast.js";
import { finding } from "../../code/rule.js";
import { at, type ConfigRuleContext } from "../../config/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

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
export default defineRule({
  meta,
  checkConfig(ctx) {
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
  /** The code half: `BINDING.send(body, { contentType: "v8" })` to a queue that some Worker pulls. */
  checkSource({ code, source }) {
    if (code.bindings.producers.size === 0) return [];
    const out: Finding[] = [];
    let pulled: Set<string> | undefined;
    for (const n of nodeIndex(source.sf).calls) {
      const method = calleeName(n);
      if (method !== "send" && method !== "sendBatch") continue;
      const binding = lastName(receiverOf(n)) ?? "";
      const queue = code.bindings.producers.get(binding);
      const opts = n.arguments[1] ? unwrap(n.arguments[1]) : undefined;
      if (!queue || !opts || !ts.isObjectLiteralExpression(opts)) continue;
      const ct = opts.properties.find((p) => memberName(p) === "contentType");
      if (!ct || !ts.isPropertyAssignment(ct) || constantString(ct.initializer) !== "v8") continue;
      pulled ??= pullQueues({ projectSections: code.projectSections });
      if (!pulled.has(queue)) continue;
      out.push(
        finding(
          meta,
          source,
          ct,
          `${binding}.${method}() sends v8-serialized messages to ${queue}, which has a pull consumer: pull consumers cannot decode v8 messages`,
          `send JSON instead: ${binding}.${method}(…, { contentType: "json" }) with a JSON-serializable body`,
          { binding, queue },
        ),
      );
    }
    return out;
  },
});
