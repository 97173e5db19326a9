import { finding } from "../../code/rule.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";
import { defaultExport, handlerMembers } from "./handlers.js";

export const meta: RuleMeta = {
  id: "code/http-and-queue-in-one-worker",
  severity: "info",
  summary: "One Worker serves HTTP and consumes queues; split them to roll back, scale and limit each alone.",
};

/** The entry module's default export has both fetch() and queue(). */
export default defineRule({
  meta,
  checkSource({ code, source }) {
    if (code.entry?.path !== source.path) return [];
    const target = defaultExport(source.sf);
    if (!target) return [];
    const members = handlerMembers(target);
    const queue = members.get("queue");
    if (!members.has("fetch") || !queue) return [];
    const name = code.worker.name ?? "this Worker";
    const queues = [...new Set(code.sections.flatMap((s) => s.settings.queues.consumers.map((c) => c.queue)))];
    const out: Finding[] = [
      finding(
        meta,
        source,
        queue,
        `${name} both serves HTTP (fetch) and consumes ${queues.length ? queues.join(", ") : "queues"} (queue): a bad consumer release rolls back the API with it, and both share one CPU limit and scaling`,
        `move queue() into its own Worker (e.g. ${name}-consumer) with the consumers${queues.length ? ` of ${queues.join(", ")}` : ""} in its config, so each rolls back, scales and is CPU-limited on its own`,
        { worker: name, queues },
      ),
    ];
    return out;
  },
});
