// The Worker the runtime:queues tests run against: it hosts the idempotency Durable Object and consumes the real
// queues "q-in" (through consume()) and "q-dlq" (recording dead letters in KV so tests can read them).
import * as v from "valibot";
import { consume } from "./consume.js";
import { defineMessage } from "./envelope.js";
import { d1Idempotency } from "./stores/d1.js";

export { IdempotencyShard } from "./stores/durable-object.js";

interface TestEnv {
  Q_DB: D1Database;
  Q_KV: KVNamespace;
  Q_DLQ: Queue;
}

export const noteAdded = defineMessage("note.added", {
  versions: {
    1: v.object({ text: v.string() }),
    2: v.object({ text: v.string(), author: v.string() }),
  },
  upcast: { 1: (v1) => ({ text: v1.text, author: "unknown" }) },
});

export default {
  async queue(batch: MessageBatch<unknown>, env: TestEnv): Promise<void> {
    if (batch.queue === "q-dlq") {
      await Promise.all(
        batch.messages.map((m) => {
          const original = (m.body as { messageId?: unknown } | null)?.messageId;
          return env.Q_KV.put(`dlq:${typeof original === "string" ? original : m.id}`, JSON.stringify(m.body));
        }),
      );
      batch.ackAll();
      return;
    }
    await env.Q_DB.exec("CREATE TABLE IF NOT EXISTS broker_notes (key TEXT, text TEXT, author TEXT)");
    await consume(
      batch,
      (note, { key }) => {
        if (note.text === "fail") throw new Error("handler refuses 'fail'");
        return [
          env.Q_DB.prepare("INSERT INTO broker_notes (key, text, author) VALUES (?, ?, ?)").bind(
            key,
            note.text,
            note.author,
          ),
        ];
      },
      {
        idempotency: d1Idempotency(env.Q_DB, { table: "broker_idempotency" }),
        message: noteAdded,
        maxAttempts: 3,
        backoff: { baseSeconds: 0, capSeconds: 0 },
        deadLetter: env.Q_DLQ,
        log: () => {},
      },
    );
  },
} satisfies ExportedHandler<TestEnv>;
