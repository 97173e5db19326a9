import type { Deployment, VersionInfo } from "../platform.js";
import { MAX_MESSAGE_LENGTH } from "./restore-points.js";

/** A version as the API returns it: full from `GET …/versions/<id>` and `?deployable=true`, short in plain lists. */
export interface ApiVersion {
  id: string;
  number?: number;
  metadata?: { created_on?: string; has_preview?: boolean; hasPreview?: boolean };
  annotations?: Record<string, string>;
  resources?: { bindings?: Record<string, unknown>[] };
}

export interface ApiDeployment {
  id: string;
  created_on: string;
  annotations?: Record<string, string>;
  versions: { version_id: string; percentage: number }[];
}

export function toVersionInfo(worker: string, v: ApiVersion): VersionInfo {
  const annotations = v.annotations ?? {};
  return {
    id: v.id,
    worker,
    tag: annotations["workers/tag"],
    message: annotations["workers/message"],
    createdAt: v.metadata?.created_on ?? "",
    annotations,
  };
}

export function toDeployment(worker: string, d: ApiDeployment): Deployment {
  const message = d.annotations?.["workers/message"];
  const rollback = d.annotations?.["workers/triggered_by"] === "rollback" || /^rollback\b/i.test(message ?? "");
  return {
    id: d.id,
    worker,
    createdAt: d.created_on,
    message,
    kind: rollback ? "rollback" : "deployment",
    versions: d.versions.map((v) => ({ versionId: v.version_id, percentage: v.percentage })),
  };
}

/** Newest first, whatever order the source used. */
export function newestFirst(ds: ApiDeployment[]): ApiDeployment[] {
  return [...ds].sort((a, b) => b.created_on.localeCompare(a.created_on));
}

/** Keeps a deployment message within the API's limit, so wrangler never fails on length. */
export function clampMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** A full version id (UUID); anything else is a prefix or a tag to resolve first. */
export const FULL_VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
