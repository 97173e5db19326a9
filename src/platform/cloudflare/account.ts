import { BlastwallError } from "../../core/errors.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { CloudflareApi } from "./api.js";

/** The `account_id` the project's wrangler configs name, when they agree on one. */
export function accountIdFromConfigs(configs: readonly WranglerConfig[]): string | undefined {
  const ids = new Set(configs.flatMap((c) => (typeof c.raw.account_id === "string" ? [c.raw.account_id] : [])));
  return ids.size === 1 ? [...ids][0] : undefined;
}

/**
 * The account when neither CLOUDFLARE_ACCOUNT_ID nor a config names it: the only account the token can see
 * (`GET /accounts`, like wrangler does).
 *
 * @example
 * const id = await discoverAccountId(api);
 */
export async function discoverAccountId(api: Pick<CloudflareApi, "root">): Promise<string> {
  const accounts = await api.root<{ id: string; name?: string }[]>("/accounts", { query: { per_page: "50" } });
  const [only] = accounts;
  if (accounts.length === 1 && only) return only.id;
  throw new BlastwallError(
    accounts.length === 0
      ? "the API token can see no Cloudflare account"
      : `the API token can see ${accounts.length} accounts: ${accounts.map((a) => `${a.name ?? "?"} (${a.id})`).join(", ")}`,
    {
      kind: "input",
      fix: 'set "account_id" in wrangler.jsonc, or export CLOUDFLARE_ACCOUNT_ID',
    },
  );
}
