import type { WranglerConfig } from "../../project/wrangler-config.js";
import { CloudflareApiError } from "./api.js";
import type { CloudflareContext } from "./context.js";

/** One API token permission the project needs, why, and whether the token has it. */
export interface ScopeCheck {
  /** The permission group, as the dashboard and the API name it (the dashboard says "Edit" for "Write"). */
  permission: string;
  /** Which bindings or operations need it. */
  neededFor: string[];
  /** ok: held; missing: the token lacks it; unverified: the token cannot read its own policies, and no read probes it. */
  status: "ok" | "missing" | "unverified";
  /** How it was decided. */
  how: string;
}

export interface DoctorReport {
  account: string;
  token: { id: string; status: string };
  scopes: ScopeCheck[];
}

/** A read-only call that succeeds only with the permission (for tokens that cannot read their own policies). */
type Probe = (ctx: CloudflareContext) => Promise<unknown>;

interface Need {
  permission: string;
  why: string;
  probe?: Probe;
}

function needsOf(configs: readonly WranglerConfig[], flagsKv: boolean): Need[] {
  const needs: Need[] = [
    { permission: "Workers Scripts Write", why: "versions upload/deploy, rollback, triggers deploy" },
    {
      permission: "Workers Scripts Read",
      why: "versions, deployments, DO namespaces",
      probe: (c) => c.api.account("/workers/scripts"),
    },
    { permission: "Account Analytics Read", why: "canary metrics (GraphQL, Analytics Engine SQL)" },
  ];
  for (const c of configs) {
    const name = c.name ?? c.path;
    for (const d of c.d1_databases) {
      const id = d.database_id;
      needs.push({ permission: "D1 Write", why: `${name}: D1 ${d.binding} (migrations, Time Travel restore)` });
      if (id)
        needs.push({
          permission: "D1 Read",
          why: `${name}: D1 ${d.binding}`,
          probe: (x) => x.api.account(`/d1/database/${id}`),
        });
    }
    if (c.queues.producers.length + c.queues.consumers.length > 0) {
      needs.push({ permission: "Queues Write", why: `${name}: queues (pause, resume, DLQ replay)` });
      needs.push({
        permission: "Queues Read",
        why: `${name}: queue state`,
        probe: (x) => x.api.account("/queues", { query: { per_page: "1" } }),
      });
    }
    for (const k of c.kv_namespaces) {
      const id = k.id;
      if (id)
        needs.push({
          permission: "Workers KV Storage Read",
          why: `${name}: KV ${k.binding} (rollback pre-flight)`,
          probe: (x) => x.api.account(`/storage/kv/namespaces/${id}`),
        });
    }
    for (const r of c.r2_buckets) {
      const bucket = r.bucket_name;
      if (bucket)
        needs.push({
          permission: "Workers R2 Storage Read",
          why: `${name}: R2 ${r.binding} (rollback pre-flight)`,
          probe: (x) => x.api.account(`/r2/buckets/${encodeURIComponent(bucket)}`),
        });
    }
  }
  if (flagsKv) needs.push({ permission: "Workers KV Storage Write", why: "flags kept in KV (BLASTWALL_FLAGS_KV_ID)" });
  return needs;
}

/** Merges needs by permission, keeping every reason and the first probe. */
function merged(needs: Need[]): { permission: string; neededFor: string[]; probe?: Probe }[] {
  const out = new Map<string, { permission: string; neededFor: string[]; probe?: Probe }>();
  for (const n of needs) {
    const cur = out.get(n.permission) ?? { permission: n.permission, neededFor: [] };
    if (!cur.neededFor.includes(n.why)) cur.neededFor.push(n.why);
    cur.probe ??= n.probe;
    out.set(n.permission, cur);
  }
  return [...out.values()];
}

/** The permission groups the token holds, when it may read its own policies (API Tokens Read). */
async function heldPermissions(ctx: CloudflareContext, tokenId: string): Promise<Set<string> | undefined> {
  try {
    const t = await ctx.api.root<{ policies?: { effect?: string; permission_groups?: { name?: string }[] }[] }>(
      `/user/tokens/${tokenId}`,
    );
    const names = (t.policies ?? [])
      .filter((p) => p.effect !== "deny")
      .flatMap((p) => (p.permission_groups ?? []).map((g) => g.name ?? ""));
    return new Set(names);
  } catch (err) {
    if (err instanceof CloudflareApiError && err.unreadable) return undefined;
    throw err;
  }
}

async function probed(ctx: CloudflareContext, probe: Probe | undefined): Promise<Pick<ScopeCheck, "status" | "how">> {
  if (!probe) return { status: "unverified", how: "the token cannot read its own policies (add API Tokens Read)" };
  try {
    await probe(ctx);
    return { status: "ok", how: "a read that needs it succeeded" };
  } catch (err) {
    if (err instanceof CloudflareApiError && (err.status === 401 || err.status === 403)) {
      return { status: "missing", how: `a read that needs it answered ${err.status}` };
    }
    if (err instanceof CloudflareApiError && err.status === 404)
      return { status: "ok", how: "allowed (the resource itself is missing)" };
    throw err;
  }
}

/**
 * Verifies the API token (`/user/tokens/verify`) and every permission the project's bindings need. With API Tokens
 * Read it compares the token's own policies exactly; without, it probes each read scope with a read-only call and
 * marks write scopes unverified.
 *
 * @example
 * const report = await runDoctor(ctx, { flagsKv: false });
 * report.scopes.filter((s) => s.status === "missing");
 */
export async function runDoctor(ctx: CloudflareContext, { flagsKv }: { flagsKv: boolean }): Promise<DoctorReport> {
  const token = await ctx.api.root<{ id: string; status: string }>("/user/tokens/verify");
  const account = await ctx.api.accountId();
  const needs = merged(needsOf(ctx.configs(), flagsKv));
  const held = await heldPermissions(ctx, token.id);
  const scopes: ScopeCheck[] = [];
  for (const n of needs) {
    const verdict = held
      ? { status: held.has(n.permission) ? ("ok" as const) : ("missing" as const), how: "the token's own policies" }
      : await probed(ctx, n.probe);
    scopes.push({ permission: n.permission, neededFor: n.neededFor, ...verdict });
  }
  return { account, token, scopes };
}
