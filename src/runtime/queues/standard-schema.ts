// The Standard Schema v1 interface (https://standardschema.dev), declared here so any validator that implements
// it (zod, valibot, arktype) works without blastwall depending on one of them.

/** A validator that implements Standard Schema v1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export type InferInput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];

/** An issue flattened for logs and dead-letter bodies: `data.totalCents: Expected number`. */
export interface PlainIssue {
  path: string;
  message: string;
}

export function plainIssues(issues: ReadonlyArray<StandardIssue>, prefix = ""): PlainIssue[] {
  return issues.map((issue) => {
    const parts = (issue.path ?? []).map((p) => String(typeof p === "object" && p !== null ? p.key : p));
    return { path: [prefix, ...parts].filter((s) => s !== "").join("."), message: issue.message };
  });
}
