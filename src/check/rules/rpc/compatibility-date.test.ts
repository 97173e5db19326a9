import { describe, expect, it } from "vitest";
import { createCodeAnalyzer } from "../../code/analyzer.js";
import { findingsOf, writeProject } from "../../config/fixture.js";

const analyzers = [createCodeAnalyzer()];
const RULE = "rpc/compatibility-date";

const CART = `import { DurableObject } from "cloudflare:workers";
export class Cart extends DurableObject {
  async lines() { return []; }
}
`;
const CALLER = `export { Cart } from "./cart.js";
export default {
  async fetch(request: Request, env: Env) {
    const stub = env.CARTS.get(env.CARTS.idFromName("u1"));
    return Response.json(await stub.lines());
  },
};
`;

function project(config: string, index = CALLER): string {
  return writeProject({ "wrangler.toml": config, "src/index.ts": index, "src/cart.ts": CART });
}

const BASE = `name = "shop"\nmain = "src/index.ts"\n[[durable_objects.bindings]]\nname = "CARTS"\nclass_name = "Cart"\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Cart"]\n`;

describe(RULE, () => {
  it("flags RPC calls on a DO stub with an old compatibility date, at the date's line", async () => {
    const dir = project(`compatibility_date = "2024-01-01"\n${BASE}`);
    const found = await findingsOf(dir, analyzers, RULE);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "wrangler.toml", line: 1, severity: "error" });
    expect(found[0]?.message).toContain("lines()");
    expect(found[0]?.message).toContain("src/index.ts:5");
  });

  it("flags an env with its own old date, and a service binding's RPC calls", async () => {
    const dir = project(
      `compatibility_date = "2025-01-01"\n${BASE}[env.legacy]\ncompatibility_date = "2023-06-01"\ndurable_objects.bindings = [{ name = "CARTS", class_name = "Cart" }]\nservices = [{ binding = "AUTH", service = "auth" }]\n`,
      `${CALLER}export async function check(env: Env) { return env.AUTH.verify("t"); }\n`,
    );
    const found = await findingsOf(dir, analyzers, RULE);
    expect(found.map((f) => f.line)).toEqual([11]);
  });

  it("honours a suppression on the line above the date in the config", async () => {
    const dir = project(
      `# blastwall-ignore rpc/compatibility-date: the rpc flag is set by our deploy wrapper\ncompatibility_date = "2024-01-01"\n${BASE}`,
    );
    expect(await findingsOf(dir, analyzers, RULE)).toEqual([]);
  });

  it("does not flag a recent date, the rpc flag, or fetch-only stubs", async () => {
    expect(await findingsOf(project(`compatibility_date = "2024-04-03"\n${BASE}`), analyzers, RULE)).toEqual([]);
    expect(
      await findingsOf(
        project(`compatibility_date = "2024-01-01"\ncompatibility_flags = ["rpc"]\n${BASE}`),
        analyzers,
        RULE,
      ),
    ).toEqual([]);
    const fetchOnly = CALLER.replace("Response.json(await stub.lines())", "stub.fetch(request)");
    expect(await findingsOf(project(`compatibility_date = "2024-01-01"\n${BASE}`, fetchOnly), analyzers, RULE)).toEqual(
      [],
    );
  });
});
