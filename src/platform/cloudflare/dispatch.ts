import { BlastwallError } from "../../core/errors.js";
import { CloudflareApiError } from "./api.js";
import type { CloudflareContext } from "./context.js";

/**
 * Workers for Platforms: a user Worker inside a dispatch namespace has no versions or deployments API, so blastwall
 * cannot canary or roll it back. When a script is not found as a Worker, this looks for it in the account's dispatch
 * namespaces and, if it is there, says so plainly instead of "not found".
 *
 * @example
 * await assertNotDispatchScript(ctx, "customer-123");
 */
export async function assertNotDispatchScript(ctx: CloudflareContext, script: string): Promise<void> {
  let namespaces: { namespace_name?: string }[];
  try {
    namespaces = await ctx.api.account<{ namespace_name?: string }[]>("/workers/dispatch/namespaces");
  } catch (err) {
    // A token without Workers for Platforms access cannot tell; the original "not found" stands.
    if (err instanceof CloudflareApiError) return;
    throw err;
  }
  for (const ns of namespaces) {
    if (!ns.namespace_name) continue;
    try {
      await ctx.api.account(
        `/workers/dispatch/namespaces/${encodeURIComponent(ns.namespace_name)}/scripts/${encodeURIComponent(script)}`,
      );
    } catch (err) {
      if (err instanceof CloudflareApiError && err.status === 404) continue;
      throw err;
    }
    throw new BlastwallError(
      `${script} is a user Worker in the dispatch namespace "${ns.namespace_name}" (Workers for Platforms): not supported`,
      {
        kind: "input",
        fix: "blastwall releases and rolls back Workers with versions and deployments; release the dispatch Worker, or upload user Workers with wrangler deploy --dispatch-namespace",
      },
    );
  }
}
