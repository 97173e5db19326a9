import { BlastwallError } from "../../core/errors.js";
import { FLAG_NAME_RULE, flagKvKey, flagNameOfKvKey, isFlagName, KV_PREFIX } from "../../runtime/ops/names.js";
import type { FlagState } from "../platform.js";
import type { EdgeRuntime } from "./runtime.js";
import type { EdgeState } from "./state.js";
import { INTERNAL_WORKER, kvBindingName } from "./workers.js";

export interface EdgeFlagsOptions {
  state: EdgeState;
  runtime: EdgeRuntime;
  adminToken: string;
  /** The Worker whose ops admin route holds the flags (the router's default Worker). */
  defaultWorker: () => string | undefined;
}

/**
 * Ops flags on the local edge: read and written through the app's ops admin route (blastwall/ops) on the primary
 * version of the HTTP Worker, mirrored to every KV namespace as `ops:<name>` for Workers that read KV.
 *
 * @example
 * await edge.flags.set("disable_writes", "1", "alice");
 */
export class EdgeFlags {
  constructor(private readonly options: EdgeFlagsOptions) {}

  /** The ops admin route on the HTTP Worker's primary version, straight to its socket (no canary metrics). */
  private async opsRequest(path: string, init: RequestInit = {}): Promise<Response | undefined> {
    const worker = this.options.defaultWorker();
    const v = worker ? this.options.state.primary(worker) : undefined;
    const base = v && this.options.runtime.url(v.runtimeName);
    if (!base) return undefined;
    const res = await fetch(new URL(`/__blastwall/ops/flags${path}`, base), {
      ...init,
      headers: { authorization: `Bearer ${this.options.adminToken}`, "content-type": "application/json" },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      throw new BlastwallError(`the ops flags route of ${v.runtimeName} answered ${res.status}: ${await res.text()}`, {
        kind: "failure",
        fix: "check that the Worker mounts blastwall/ops and reads BLASTWALL_ADMIN_TOKEN",
      });
    }
    return res;
  }

  private async kvMirror() {
    const mf = this.options.runtime.requireMf();
    return Promise.all(this.options.runtime.kvIds.map((_, i) => mf.getKVNamespace(kvBindingName(i), INTERNAL_WORKER)));
  }

  async list(): Promise<EdgeFlag[]> {
    const res = await this.opsRequest("");
    if (res) return parseFlags((await res.json()) as unknown);
    const flags = new Map<string, EdgeFlag>();
    for (const kv of await this.kvMirror()) {
      const { keys } = await kv.list({ prefix: KV_PREFIX });
      for (const k of keys) {
        const meta = (k.metadata ?? {}) as { actor?: string; updatedAt?: string };
        const name = flagNameOfKvKey(k.name);
        if (name === undefined || flags.has(name)) continue;
        const value = await kv.get(k.name);
        if (value === null) continue;
        flags.set(name, {
          name,
          value,
          ...(meta.actor ? { actor: meta.actor } : {}),
          ...(meta.updatedAt ? { updatedAt: meta.updatedAt } : {}),
        });
      }
    }
    return [...flags.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async set(name: string, value: string, actor: string): Promise<EdgeFlag> {
    if (!isFlagName(name))
      throw new BlastwallError(`flag name "${name}" is not valid`, { fix: `use ${FLAG_NAME_RULE}` });
    const updatedAt = new Date().toISOString();
    const res = await this.opsRequest(`/${encodeURIComponent(name)}`, {
      method: "PUT",
      body: JSON.stringify({ value, actor }),
    });
    // The KV mirror lets Workers that read `ops:<name>` from KV see the flag too.
    for (const kv of await this.kvMirror()) await kv.put(flagKvKey(name), value, { metadata: { actor, updatedAt } });
    if (res) {
      const parsed = parseFlags((await res.json()) as unknown).find((f) => f.name === name);
      if (parsed) return parsed;
    }
    return { name, value, actor, updatedAt };
  }
}

/** A flag as the edge reports it: the fail mode is known when the app declared the flag to its ops admin route. */
export interface EdgeFlag extends FlagState {
  failMode?: "open" | "closed";
}

/** Accepts the ops route's list as an array or `{ flags: [...] }`. */
export function parseFlags(body: unknown): EdgeFlag[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === "object" && body !== null && Array.isArray((body as { flags?: unknown }).flags)
      ? (body as { flags: unknown[] }).flags
      : typeof body === "object" && body !== null && "name" in body
        ? [body]
        : [];
  return list
    .filter((f): f is Record<string, unknown> => typeof f === "object" && f !== null)
    .filter((f) => typeof f.name === "string")
    .map((f) => ({
      name: String(f.name),
      value: String(f.value ?? ""),
      ...(typeof f.updatedAt === "string" ? { updatedAt: f.updatedAt } : {}),
      ...(typeof f.actor === "string" ? { actor: f.actor } : {}),
      ...(f.failMode === "open" || f.failMode === "closed" ? { failMode: f.failMode } : {}),
    }));
}
