import { versionAtLeast } from "../../core/migration-order.js";

/**
 * The first wrangler with `--durable-objects-code-update-mode` (on `versions deploy`, `rollback` and `deploy`). From
 * that release on, a deployment moves Durable Objects to the new code "deferred" by default, up to 300 s later;
 * 4.140.0 has neither the flag nor the default (both read from the published packages' wrangler-dist/cli.js).
 */
export const DO_CODE_UPDATE_MODE_SINCE = "4.141.0";

/**
 * The arguments that make a rollback move Durable Objects to the good code at once, where the wrangler that runs has
 * the flag; none for an older (or unreadable) wrangler, which updates them immediately anyway and rejects the flag.
 *
 * @example
 * ["rollback", id, ...immediateDurableObjectsArgs("4.164.0")]; // [..., "--durable-objects-code-update-mode", "immediate"]
 */
export function immediateDurableObjectsArgs(wranglerVersion: string | undefined): string[] {
  return versionAtLeast(wranglerVersion, DO_CODE_UPDATE_MODE_SINCE) === true
    ? ["--durable-objects-code-update-mode", "immediate"]
    : [];
}
