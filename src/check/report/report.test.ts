import { describe, expect, it } from "vitest";
import type { CheckResult } from "../findings.js";
import { codeFrame } from "./frame.js";
import { renderGithub } from "./github.js";
import { renderReport } from "./index.js";
import { renderPretty } from "./pretty.js";

/** A finding from another analyzer (wrangler config): reporters only know the Finding contract. */
const result: CheckResult = {
  version: 1,
  findings: [
    {
      rule: "config/queue-without-dlq",
      severity: "warning",
      file: "api/wrangler.toml",
      line: 3,
      column: 5,
      message: "consumer of order-events, 50%: has no dead_letter_queue, retries: 3",
      fix: 'add dead_letter_queue = "order-events-dlq"',
    },
  ],
  migrations: [],
};

describe("reporters", () => {
  it("codeFrame marks the line and numbers its neighbours", () => {
    expect(codeFrame("a\nb\nc\nd\ne", 3, { context: 1 })).toBe("  2 | b\n> 3 | c\n  4 | d");
    expect(codeFrame("only", 1)).toBe("> 1 | only");
    expect(codeFrame("a\nb", 9)).toBe("");
    expect(codeFrame("a\nb\n", 2)).toBe("  1 | a\n> 2 | b");
  });

  it("escapes GitHub workflow-command data and properties", () => {
    const text = renderGithub(result, { prefix: "apps/shop" });
    expect(text).toBe(
      '::warning file=apps/shop/api/wrangler.toml,line=3,col=5,title=config/queue-without-dlq::consumer of order-events, 50%25: has no dead_letter_queue, retries: 3%0Afix: add dead_letter_queue = "order-events-dlq"\n',
    );
  });

  it("renders any analyzer's findings in every format", () => {
    const readText = () => '[[queues.consumers]]\nqueue = "order-events"\n    max_retries = 3\n';
    const pretty = renderPretty(result, { root: "/nowhere", readText });
    expect(pretty).toContain("api/wrangler.toml");
    expect(pretty).toContain("> 3 |     max_retries = 3");
    expect(pretty).toContain("0 errors, 1 warning, 0 info");
    expect(renderReport(result, { format: "pretty", root: "/nowhere" })).toContain("fix: add dead_letter_queue");
    const sarif = JSON.parse(renderReport(result, { format: "sarif", root: "." })) as {
      runs: { results: { level: string }[] }[];
    };
    expect(sarif.runs[0]?.results[0]?.level).toBe("warning");
    expect(JSON.parse(renderReport(result, { format: "json", root: "." }))).toEqual(result);
  });
});
