// A Worker with fetch, queue and scheduled in one module is checked as all of what it is.
import { describe, expect, it } from "vitest";
import { analyzers } from "../src/check/analyzers.js";
import { runCheck } from "../src/check/run-check.js";

const dir = new URL("fixtures/all-in-one", import.meta.url).pathname;

describe("check on a Worker with fetch, queue and scheduled", () => {
  it("runs its HTTP, consumer and code rules over it, and knows its queue() is idempotent", async () => {
    const { findings } = await runCheck(dir, { analyzers });
    const rules = findings.map((f) => f.rule);
    // It consumes a queue and serves HTTP: the split advice names the queue it consumes.
    const split = findings.find((f) => f.rule === "code/http-and-queue-in-one-worker");
    expect(split?.message).toContain("consumes jobs");
    // Consumer rules ran and passed: it has a DLQ and a retry delay; consume() is not used, so nothing to compare.
    expect(rules).not.toContain("queues/no-dead-letter-queue");
    expect(rules).not.toContain("queues/no-retry-delay");
    expect(rules).not.toContain("code/queue-without-idempotency");
    expect(rules).not.toContain("queues/max-attempts");
  });
});
