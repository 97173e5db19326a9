import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];
const RULE = "queues/max-attempts";

/** A consumer Worker whose config sets these consumer fields and whose entry calls consume() with these options. */
function project(consumerFields: string, options: string, preamble = ""): string {
  return writeProject({
    "wrangler.jsonc": `{ "name": "jobs", "main": "src/index.ts", "queues": { "consumers": [{ "queue": "orders"${consumerFields}, "dead_letter_queue": "orders-dlq", "retry_delay": 5 }] } }`,
    "src/index.ts": `import { consume as run, d1Idempotency } from "blastwall/queues";
${preamble}
export default {
  async queue(batch, env) {
    await run(batch, async () => {}, ${options});
  },
};
`,
  });
}

describe("queues/max-attempts", () => {
  it("flags maxAttempts above max_retries + 1, at the option, naming both numbers and the fix", async () => {
    const found = await findingsOf(
      project(`, "max_retries": 3`, "{ idempotency: d1Idempotency(env.DB), maxAttempts: 6 }"),
      analyzers,
      RULE,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "src/index.ts", line: 5, severity: "warning" });
    expect(found[0]?.message).toContain(
      "maxAttempts 6 does not match the consumer of orders in wrangler.jsonc (max_retries 3",
    );
    expect(found[0]?.message).toContain("never sees its last 2 attempt(s)");
    expect(found[0]?.fix).toContain("`maxAttempts: 4`");
    expect(found[0]?.fix).toContain('"max_retries": 5');
  });

  it("flags the default (4) against a consumer that retries more, and a const options object", async () => {
    const byDefault = await findingsOf(
      project(`, "max_retries": 5`, "{ idempotency: d1Idempotency(env.DB) }"),
      analyzers,
      RULE,
    );
    expect(byDefault).toHaveLength(1);
    expect(byDefault[0]?.message).toContain("maxAttempts (default 4)");
    expect(byDefault[0]?.message).toContain("parked early");
    const viaConst = await findingsOf(project("", "OPTIONS", "const OPTIONS = { maxAttempts: 2 };"), analyzers, RULE);
    expect(viaConst).toHaveLength(1);
    expect(viaConst[0]?.message).toContain("max_retries 3");
  });

  it("does not flag agreeing numbers, the two defaults, or a value it cannot read", async () => {
    expect(await findingsOf(project(`, "max_retries": 5`, "{ maxAttempts: 6 }"), analyzers, RULE)).toEqual([]);
    expect(await findingsOf(project("", "{ idempotency: d1Idempotency(env.DB) }"), analyzers, RULE)).toEqual([]);
    expect(await findingsOf(project(`, "max_retries": 9`, "{ maxAttempts: env.N }"), analyzers, RULE)).toEqual([]);
    expect(await findingsOf(project(`, "max_retries": 9`, "{ ...shared }"), analyzers, RULE)).toEqual([]);
  });

  it("agrees with examples/shop's consumer (maxAttempts 6, max_retries 5)", async () => {
    const shop = new URL("../../../../examples/shop", import.meta.url).pathname;
    expect(await findingsOf(shop, analyzers, RULE)).toEqual([]);
  });
});
