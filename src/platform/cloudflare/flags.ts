import { BlastwallError } from "../../core/errors.js";
import { flagKvKey, flagNameOfKvKey, KV_PREFIX } from "../../runtime/ops/names.js";
import type { FlagState } from "../platform.js";
import type { CloudflareContext } from "./context.js";
import { redact } from "./redact.js";

/** The flags capability: through the Worker's ops admin API, or KV keys `ops:<name>` over the REST API. */
export interface CloudflareFlags {
  listFlags(): Promise<FlagState[]>;
  setFlag(name: string, value: string, actor: string): Promise<FlagState>;
}

export interface CloudflareFlagsOptions {
  opsUrl?: string;
  flagsKvNamespaceId?: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

interface AdminFlag {
  name: string;
  value: string;
  updatedAt?: string | null;
  actor?: string | null;
}

/** What `setFlag` keeps with a KV flag, as KV metadata (the same shape the runtime's KV store writes). */
interface FlagMeta {
  actor?: string;
  updatedAt?: string;
}

function flagFromAdmin(f: AdminFlag): FlagState {
  return {
    name: f.name,
    value: f.value,
    ...(f.updatedAt ? { updatedAt: f.updatedAt } : {}),
    ...(f.actor ? { actor: f.actor } : {}),
  };
}

function noFlagStore(): BlastwallError {
  return new BlastwallError("no flag store configured for the Cloudflare target", {
    kind: "input",
    fix: "set BLASTWALL_OPS_URL (the Worker serving /__blastwall/ops) or BLASTWALL_FLAGS_KV_ID",
  });
}

async function opsFetch(
  ctx: CloudflareContext,
  o: CloudflareFlagsOptions,
  path: string,
  init: { method?: string; body?: string } = {},
) {
  const token = ctx.processEnv.BLASTWALL_ADMIN_TOKEN;
  if (!token)
    throw new BlastwallError("BLASTWALL_ADMIN_TOKEN is not set", {
      kind: "input",
      fix: "export the admin token the Worker's ops API checks",
    });
  const url = `${(o.opsUrl ?? "").replace(/\/+$/, "")}/__blastwall/ops${path}`;
  const secrets = [token, ctx.processEnv.CLOUDFLARE_API_TOKEN];
  let res: Response;
  try {
    res = await o.fetch(url, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
      body: init.body,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    throw new BlastwallError(redact(`cannot reach the ops admin API at ${url}: ${String(err)}`, secrets), {
      kind: "failure",
      fix: "check BLASTWALL_OPS_URL points at the deployed Worker",
    });
  }
  const text = await res.text();
  let body: { message?: string; fix?: string; flags?: AdminFlag[]; flag?: AdminFlag };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (res.ok) return body;
  throw new BlastwallError(redact(`ops admin API ${path} answered ${res.status}: ${body.message ?? ""}`, secrets), {
    kind: "failure",
    fix: res.status === 401 ? "check BLASTWALL_ADMIN_TOKEN matches the Worker's admin token" : body.fix,
  });
}

async function kvList(ctx: CloudflareContext, ns: string): Promise<FlagState[]> {
  const keys = await ctx.api.accountCursor<{ name: string; metadata?: FlagMeta }>(`/storage/kv/namespaces/${ns}/keys`, {
    query: { prefix: KV_PREFIX },
  });
  const out: FlagState[] = [];
  for (const k of keys) {
    const name = flagNameOfKvKey(k.name);
    if (name === undefined) continue;
    const value = await ctx.api.accountText(`/storage/kv/namespaces/${ns}/values/${encodeURIComponent(k.name)}`);
    if (value === undefined) continue;
    const { actor, updatedAt } = k.metadata ?? {};
    out.push({
      name: k.name.slice(KV_PREFIX.length),
      value,
      ...(updatedAt ? { updatedAt } : {}),
      ...(actor ? { actor } : {}),
    });
  }
  return out;
}

/** Writes the value with the actor and time as KV metadata (multipart), so the next `listFlags` shows who and when. */
async function kvSet(
  ctx: CloudflareContext,
  ns: string,
  name: string,
  value: string,
  actor: string,
): Promise<FlagState> {
  const updatedAt = new Date(ctx.clock.now()).toISOString();
  const form = new FormData();
  form.set("value", value);
  form.set("metadata", JSON.stringify({ actor, updatedAt } satisfies FlagMeta));
  await ctx.api.account(`/storage/kv/namespaces/${ns}/values/${encodeURIComponent(flagKvKey(name))}`, {
    method: "PUT",
    form,
  });
  return { name, value, updatedAt, actor };
}

/**
 * @example
 * const flags = createCloudflareFlags(ctx, { opsUrl: "https://shop-api.example.workers.dev", fetch, timeoutMs: 30_000 });
 * await flags.setFlag("disable_writes", "1", "oncall@example.com");
 */
export function createCloudflareFlags(ctx: CloudflareContext, o: CloudflareFlagsOptions): CloudflareFlags {
  return {
    async listFlags() {
      if (o.opsUrl) return ((await opsFetch(ctx, o, "/flags")).flags ?? []).map(flagFromAdmin);
      if (o.flagsKvNamespaceId) return kvList(ctx, o.flagsKvNamespaceId);
      throw noFlagStore();
    },
    async setFlag(name, value, actor) {
      if (o.opsUrl) {
        const body = await opsFetch(ctx, o, `/flags/${encodeURIComponent(name)}`, {
          method: "PUT",
          body: JSON.stringify({ value, actor }),
        });
        if (!body.flag) throw new BlastwallError(`ops admin API did not return flag ${name}`, { kind: "failure" });
        return flagFromAdmin(body.flag);
      }
      if (o.flagsKvNamespaceId) return kvSet(ctx, o.flagsKvNamespaceId, name, value, actor);
      throw noFlagStore();
    },
  };
}
