import {
  type InferInput,
  type InferOutput,
  type PlainIssue,
  plainIssues,
  type StandardSchemaV1,
} from "./standard-schema.js";

/** What producers send: CloudEvents-shaped, with an integer payload version `v`. */
export interface Envelope<T = unknown> {
  type: string;
  v: number;
  /** Unique per event at its source; `source` + `id` is the idempotency key. */
  id: string;
  source: string;
  /** RFC 3339 time the event happened. */
  time?: string;
  data: T;
}

type Versions = { readonly [version: number]: StandardSchemaV1 };
type VersionOf<V> = Extract<keyof V, number>;
// Next[n] is n + 1: enough to name the successor of any version up to 31.
type Next = [
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16,
  17,
  18,
  19,
  20,
  21,
  22,
  23,
  24,
  25,
  26,
  27,
  28,
  29,
  30,
  31,
  32,
];
type Successor<K extends number> = K extends keyof Next ? Next[K] : never;
/** The highest version key of V. */
export type LatestVersion<V> = { [K in VersionOf<V>]: Successor<K> extends VersionOf<V> ? never : K }[VersionOf<V>];
/** One upcaster per version except the latest: version n's output to version n + 1's input. */
export type Upcasters<V extends Versions> = {
  [K in Exclude<VersionOf<V>, LatestVersion<V>>]: Successor<K> extends keyof V
    ? (data: InferOutput<V[K]>) => InferInput<V[Successor<K>]>
    : never;
};

export interface MessageOptions<V extends Versions> {
  versions: V;
  upcast: NoInfer<Upcasters<V>>;
}

/** Why a body did not decode. `newer_version` is retried (a newer producer is mid-rollout); the rest are not. */
export type DecodeFailure =
  | { ok: false; reason: "not_an_envelope" | "wrong_type" | "older_than_known"; message: string }
  | { ok: false; reason: "invalid_payload"; message: string; issues: PlainIssue[] }
  | { ok: false; reason: "newer_version"; message: string };

export type Decoded<T> = { ok: true; envelope: Envelope<unknown>; data: T } | DecodeFailure;

/** A message type with its versions; `decode` always yields the latest version's output. */
export interface MessageDefinition<T> {
  readonly type: string;
  readonly latest: number;
  readonly oldest: number;
  decode(body: unknown): Promise<Decoded<T>>;
  /** Wraps `data` as the latest version, for producers: `queue.send(orderCreated.envelope(data, {...}))`. */
  envelope(data: T, meta: { id: string; source: string; time?: string }): Envelope<T>;
}

/** The data a handler receives for a message definition: its latest version's output. */
export type MessageData<D> = D extends MessageDefinition<infer T> ? T : never;

/**
 * Declares a versioned message type. The consumer's handler always receives the latest version: older versions are
 * validated with their own schema, then upcast step by step, each step validated again.
 *
 * @example
 * const orderCreated = defineMessage("order.created", {
 *   versions: { 1: z.object({ orderId: z.string() }), 2: z.object({ orderId: z.string(), currency: z.string() }) },
 *   upcast: { 1: (v1) => ({ ...v1, currency: "USD" }) },
 * });
 */
export function defineMessage<const V extends Versions>(
  type: string,
  { versions, upcast }: MessageOptions<V>,
): MessageDefinition<InferOutput<V[LatestVersion<V>]>> {
  const known = Object.keys(versions)
    .map(Number)
    .sort((a, b) => a - b);
  const oldest = known[0];
  const latest = known[known.length - 1];
  if (oldest === undefined || latest === undefined || known.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`defineMessage("${type}"): versions must be positive integers, e.g. { 1: schemaV1 }`);
  }
  const steps = upcast as unknown as Record<number, ((data: unknown) => unknown) | undefined>;
  const schemas = versions as Record<number, StandardSchemaV1 | undefined>;
  for (let v = oldest; v < latest; v++) {
    if (schemas[v] === undefined) {
      throw new Error(`defineMessage("${type}"): version ${v} is missing; versions must run without gaps`);
    }
  }
  for (let v = oldest; v < latest; v++) {
    if (typeof steps[v] !== "function") {
      throw new Error(`defineMessage("${type}"): add upcast[${v}], a function from v${v} data to v${v + 1} data`);
    }
  }

  async function validate(version: number, value: unknown): Promise<{ value: unknown } | { issues: PlainIssue[] }> {
    const schema = schemas[version];
    if (schema === undefined) throw new Error(`no schema for v${version}`);
    const result = await schema["~standard"].validate(value);
    if (result.issues !== undefined) return { issues: plainIssues(result.issues, "data") };
    return { value: result.value };
  }

  return {
    type,
    latest,
    oldest,
    envelope: (data, meta) => ({ type, v: latest, ...meta, data }),
    async decode(body) {
      if (!isEnvelope(body)) {
        return {
          ok: false,
          reason: "not_an_envelope",
          message: "body is not an envelope { type, v, id, source, data } with string type/id/source and integer v",
        };
      }
      if (body.type !== type) {
        return { ok: false, reason: "wrong_type", message: `type "${body.type}" is not "${type}"` };
      }
      if (body.v > latest) {
        return { ok: false, reason: "newer_version", message: `v${body.v} is newer than v${latest}, the latest known` };
      }
      if (body.v < oldest) {
        return {
          ok: false,
          reason: "older_than_known",
          message: `v${body.v} is older than v${oldest}, the oldest known`,
        };
      }
      let version = body.v;
      let checked = await validate(version, body.data);
      while ("value" in checked && version < latest) {
        const step = steps[version];
        if (step === undefined) throw new Error(`no upcast for v${version}`);
        version += 1;
        checked = await validate(version, step(checked.value));
      }
      if ("issues" in checked) {
        const at = version === body.v ? `v${version}` : `v${version} (upcast from v${body.v})`;
        return {
          ok: false,
          reason: "invalid_payload",
          message: `${type} ${at} failed validation`,
          issues: checked.issues,
        };
      }
      return { ok: true, envelope: body, data: checked.value as InferOutput<V[LatestVersion<V>]> };
    },
  };
}

export function isEnvelope(body: unknown): body is Envelope<unknown> {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.type === "string" &&
    Number.isInteger(b.v) &&
    typeof b.id === "string" &&
    b.id !== "" &&
    typeof b.source === "string" &&
    b.source !== "" &&
    (b.time === undefined || typeof b.time === "string") &&
    "data" in b
  );
}

/** The idempotency key of an envelope: the event's source and id (CloudEvents identity). */
export function envelopeKey(envelope: Pick<Envelope, "id" | "source">): string {
  return `${envelope.source}#${envelope.id}`;
}
