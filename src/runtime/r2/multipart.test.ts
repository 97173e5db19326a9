import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIN_PART_SIZE, type MultipartProgress, MultipartUploadError, uploadMultipart } from "./multipart.js";

const MiB = 1024 * 1024;

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** A stream of `data` in uneven chunks, so parts never line up with chunk edges. */
function streamOf(data: Uint8Array, { chunk = 700 * 1024 + 13, failAt }: { chunk?: number; failAt?: number } = {}) {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAt !== undefined && offset >= failAt) {
        controller.error(new Error("client went away"));
        return;
      }
      if (offset >= data.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(data.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

interface Recorded {
  calls: { partNumber: number; size: number }[];
  maxInFlight: number;
}

/** The real bucket, with uploadPart recorded and (optionally) made to fail for one part number. */
function instrumented(bucket: R2Bucket, { failPart }: { failPart?: number } = {}): { bucket: R2Bucket; rec: Recorded } {
  const rec: Recorded = { calls: [], maxInFlight: 0 };
  let inFlight = 0;
  const wrap = (upload: R2MultipartUpload): R2MultipartUpload => ({
    key: upload.key,
    uploadId: upload.uploadId,
    abort: () => upload.abort(),
    complete: (parts) => upload.complete(parts),
    uploadPart: async (partNumber, value, options) => {
      const size = value instanceof Uint8Array ? value.byteLength : -1;
      rec.calls.push({ partNumber, size });
      inFlight++;
      rec.maxInFlight = Math.max(rec.maxInFlight, inFlight);
      try {
        await scheduler.wait(5);
        if (partNumber === failPart) throw new Error(`forced failure in part ${partNumber}`);
        return await upload.uploadPart(partNumber, value, options);
      } finally {
        inFlight--;
      }
    },
  });
  const wrapped = {
    head: (k: string) => bucket.head(k),
    get: (k: string) => bucket.get(k),
    createMultipartUpload: async (k: string, o?: R2MultipartOptions) => wrap(await bucket.createMultipartUpload(k, o)),
    resumeMultipartUpload: (k: string, id: string) => wrap(bucket.resumeMultipartUpload(k, id)),
  } as unknown as R2Bucket;
  return { bucket: wrapped, rec };
}

async function sha256(data: ArrayBuffer | Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares digests: a deep-equal over megabytes would exhaust the test isolate's heap. */
async function expectStored(key: string, data: Uint8Array): Promise<void> {
  const obj = await env.R2_BUCKET.get(key);
  expect(obj?.size).toBe(data.byteLength);
  expect(await sha256((await obj?.arrayBuffer()) ?? new ArrayBuffer(0))).toBe(await sha256(data));
}

describe("uploadMultipart against the real R2 binding", () => {
  it("uploads uniform parts numbered from 1, last part no larger, bounded concurrency", async () => {
    const data = bytes(3 * MIN_PART_SIZE + 12_345);
    const { bucket, rec } = instrumented(env.R2_BUCKET);
    const result = await uploadMultipart(bucket, "mp/ok.bin", streamOf(data), {
      partSize: MIN_PART_SIZE,
      concurrency: 2,
      uploadOptions: { httpMetadata: { contentType: "application/octet-stream" } },
    });
    expect(result.parts).toBe(4);
    expect(rec.calls.map((c) => c.partNumber).sort()).toEqual([1, 2, 3, 4]);
    expect(rec.calls.map((c) => c.size)).toEqual([MIN_PART_SIZE, MIN_PART_SIZE, MIN_PART_SIZE, 12_345]);
    expect(rec.maxInFlight).toBe(2);
    expect(result.object.size).toBe(data.byteLength);
    await expectStored("mp/ok.bin", data);
  });

  it("sends an exact multiple as equal parts with no empty tail", async () => {
    const data = bytes(2 * MIN_PART_SIZE);
    const { bucket, rec } = instrumented(env.R2_BUCKET);
    const result = await uploadMultipart(bucket, "mp/exact.bin", streamOf(data, { chunk: MiB }), {
      partSize: MIN_PART_SIZE,
      concurrency: 1,
    });
    expect(result.parts).toBe(2);
    expect(rec.calls.map((c) => c.size)).toEqual([MIN_PART_SIZE, MIN_PART_SIZE]);
    expect(rec.maxInFlight).toBe(1);
    expect((await env.R2_BUCKET.head("mp/exact.bin"))?.size).toBe(2 * MIN_PART_SIZE);
  });

  it.each([1, 2, 3])("a failure forced in part %i aborts the upload: resuming it fails", async (k) => {
    const key = `mp/fail-${k}.bin`;
    const data = bytes(2 * MIN_PART_SIZE + 1000);
    const { bucket } = instrumented(env.R2_BUCKET, { failPart: k });
    const progress: MultipartProgress[] = [];
    const err = await uploadMultipart(bucket, key, streamOf(data), {
      partSize: MIN_PART_SIZE,
      onPart: (p) => {
        progress.push(p);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MultipartUploadError);
    const failure = err as MultipartUploadError;
    expect(failure.aborted).toBe(true);
    expect(failure.message).toContain(`forced failure in part ${k}`);
    expect(await env.R2_BUCKET.head(key)).toBeNull();
    // The aborted upload is gone in R2: neither a new part nor completion is accepted.
    const resumed = env.R2_BUCKET.resumeMultipartUpload(key, failure.uploadId);
    await expect(resumed.uploadPart(1, bytes(MIN_PART_SIZE))).rejects.toThrow();
    await expect(resumed.complete(progress.at(-1)?.parts ?? [])).rejects.toThrow();
    // And so does resuming it through the helper.
    await expect(
      uploadMultipart(env.R2_BUCKET, key, streamOf(data), {
        partSize: MIN_PART_SIZE,
        resume: { uploadId: failure.uploadId, partSize: MIN_PART_SIZE, parts: progress.at(-1)?.parts ?? [] },
      }),
    ).rejects.toThrow(MultipartUploadError);
    expect(await env.R2_BUCKET.head(key)).toBeNull();
  });

  it("a stream that errors mid-way aborts the upload", async () => {
    const key = "mp/stream-error.bin";
    const data = bytes(3 * MIN_PART_SIZE);
    const err = await uploadMultipart(env.R2_BUCKET, key, streamOf(data, { failAt: MIN_PART_SIZE + MiB }), {
      partSize: MIN_PART_SIZE,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MultipartUploadError);
    expect((err as MultipartUploadError).message).toContain("client went away");
    const resumed = env.R2_BUCKET.resumeMultipartUpload(key, (err as MultipartUploadError).uploadId);
    await expect(resumed.uploadPart(2, bytes(MIN_PART_SIZE))).rejects.toThrow();
  });

  it("resumes an upload cut off by eviction from its uploadId and completed parts", async () => {
    const key = "mp/resume.bin";
    const data = bytes(2 * MIN_PART_SIZE + 777);
    // What a previous invocation left behind before the isolate went away: parts 1 and 2, never completed.
    const first = await env.R2_BUCKET.createMultipartUpload(key);
    const p1 = await first.uploadPart(1, data.slice(0, MIN_PART_SIZE));
    const p2 = await first.uploadPart(2, data.slice(MIN_PART_SIZE, 2 * MIN_PART_SIZE));
    const { bucket, rec } = instrumented(env.R2_BUCKET);
    const result = await uploadMultipart(bucket, key, streamOf(data), {
      partSize: MIN_PART_SIZE,
      resume: { uploadId: first.uploadId, partSize: MIN_PART_SIZE, parts: [p2, p1] },
    });
    expect(rec.calls.map((c) => c.partNumber)).toEqual([3]);
    expect(result).toMatchObject({ uploadId: first.uploadId, uploaded: 1, parts: 3 });
    await expectStored(key, data);
  });

  it("refuses part sizes R2 would reject, and a resume with a different part size", async () => {
    const s = () => streamOf(bytes(10));
    await expect(uploadMultipart(env.R2_BUCKET, "mp/x", s(), { partSize: MIN_PART_SIZE - 1 })).rejects.toThrow(/5 MiB/);
    await expect(uploadMultipart(env.R2_BUCKET, "mp/x", s(), { concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(
      uploadMultipart(env.R2_BUCKET, "mp/x", s(), {
        partSize: MIN_PART_SIZE,
        resume: { uploadId: "u", partSize: 2 * MIN_PART_SIZE, parts: [] },
      }),
    ).rejects.toThrow(/uniform/);
  });
});
