const MiB = 1024 * 1024;
/** R2 (like S3) needs every part but the last to be at least 5 MiB and at most 5 GiB. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** R2 accepts at most 10,000 parts per upload. */
export const MAX_PARTS = 10_000;

/** Where an interrupted upload stands; persist it (`onPart`) to resume after the Worker was evicted. */
export interface MultipartProgress {
  uploadId: string;
  partSize: number;
  parts: R2UploadedPart[];
}

export interface UploadMultipartOptions {
  /** Bytes per part; every part but the last has exactly this size. Default 10 MiB, at least 5 MiB. */
  partSize?: number;
  /** Parts in flight at once. Memory used is about (concurrency + 1) × partSize. Default 2. */
  concurrency?: number;
  /** Metadata for a new upload (ignored when resuming: it was set at creation). */
  uploadOptions?: R2MultipartOptions;
  /** Continue this upload: the stream is read from the start and parts already listed are skipped. */
  resume?: MultipartProgress;
  /** Called after each part lands, with everything done so far. */
  onPart?: (progress: MultipartProgress) => void | Promise<void>;
}

export interface UploadMultipartResult {
  object: R2Object;
  uploadId: string;
  /** Parts uploaded by this call (resumed parts not counted). */
  uploaded: number;
  parts: number;
}

/** The upload failed and was aborted: R2 holds no orphan parts, and the uploadId cannot be resumed. */
export class MultipartUploadError extends Error {
  readonly uploadId: string;
  readonly aborted: boolean;
  constructor(uploadId: string, aborted: boolean, cause: unknown) {
    super(
      `multipart upload ${uploadId} failed and was ${aborted ? "aborted" : "NOT aborted (abort failed too)"}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "MultipartUploadError";
    this.uploadId = uploadId;
    this.aborted = aborted;
  }
}

function validate(partSize: number, concurrency: number, resume: MultipartProgress | undefined): void {
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize ${partSize} is outside R2's limits; use an integer from ${MIN_PART_SIZE} (5 MiB)`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency ${concurrency} must be a positive integer`);
  }
  if (resume !== undefined && resume.partSize !== partSize) {
    throw new RangeError(
      `resume.partSize ${resume.partSize} differs from partSize ${partSize}; parts must stay uniform, so resume with the same size`,
    );
  }
}

/**
 * Streams `stream` into `key` as a multipart upload with uniform parts: each exactly `partSize` bytes (≥ 5 MiB) but
 * the last, which is no larger; part numbers start at 1; at most `concurrency` parts in flight. Any failure (the
 * stream, a part, `onPart`) aborts the upload so no orphan parts are left and rethrows as {@link MultipartUploadError}.
 * Pass `resume` (from `onPart`) to continue an upload that was cut off by eviction.
 *
 * @example
 * const { object } = await uploadMultipart(env.MEDIA, "videos/a.mp4", request.body, { partSize: 8 * 1024 * 1024 });
 */
export async function uploadMultipart(
  bucket: R2Bucket,
  key: string,
  stream: ReadableStream<Uint8Array>,
  { partSize = 10 * MiB, concurrency = 2, uploadOptions, resume, onPart }: UploadMultipartOptions = {},
): Promise<UploadMultipartResult> {
  validate(partSize, concurrency, resume);
  const upload = resume
    ? bucket.resumeMultipartUpload(key, resume.uploadId)
    : await bucket.createMultipartUpload(key, uploadOptions);
  const done = new Map<number, R2UploadedPart>((resume?.parts ?? []).map((p) => [p.partNumber, p]));
  const inFlight = new Set<Promise<void>>();
  // Held in an object: tasks set it from their own closures.
  const state: { failure?: { error: unknown } } = {};
  let uploaded = 0;
  let partNumber = 0;

  const send = (n: number, bytes: Uint8Array): void => {
    const task = (async () => {
      const part = await upload.uploadPart(n, bytes);
      done.set(n, part);
      uploaded++;
      await onPart?.({ uploadId: upload.uploadId, partSize, parts: sorted(done) });
    })()
      .catch((error: unknown) => {
        state.failure ??= { error };
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const reader = stream.getReader();
  try {
    let buffer = new Uint8Array(partSize);
    let filled = 0;
    const flush = async (bytes: Uint8Array): Promise<void> => {
      partNumber++;
      if (partNumber > MAX_PARTS) throw new RangeError(`more than ${MAX_PARTS} parts; raise partSize`);
      if (done.has(partNumber)) return; // resumed: this part is already in R2
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      throwIfFailed(state);
      send(partNumber, bytes);
    };
    for (;;) {
      const { value, done: ended } = await reader.read();
      throwIfFailed(state);
      if (ended) break;
      let offset = 0;
      while (offset < value.byteLength) {
        const n = Math.min(partSize - filled, value.byteLength - offset);
        buffer.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === partSize) {
          await flush(buffer);
          buffer = new Uint8Array(partSize);
          filled = 0;
        }
      }
    }
    if (filled > 0 || partNumber === 0) await flush(buffer.subarray(0, filled));
    while (inFlight.size > 0) await Promise.race(inFlight);
    throwIfFailed(state);
    const stray = [...done.keys()].filter((n) => n > partNumber);
    if (stray.length > 0) throw new RangeError(`resume lists part ${stray[0]} but the stream has ${partNumber} parts`);
    const object = await upload.complete(sorted(done));
    return { object, uploadId: upload.uploadId, uploaded, parts: partNumber };
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    // Let parts in flight settle before aborting, so none lands after the abort.
    while (inFlight.size > 0) await Promise.race(inFlight);
    const aborted = await upload.abort().then(
      () => true,
      () => false,
    );
    throw new MultipartUploadError(upload.uploadId, aborted, error);
  }
}

function throwIfFailed(state: { failure?: { error: unknown } }): void {
  if (state.failure) throw state.failure.error;
}

function sorted(parts: Map<number, R2UploadedPart>): R2UploadedPart[] {
  return [...parts.values()].sort((a, b) => a.partNumber - b.partNumber);
}
