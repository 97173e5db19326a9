export {
  type ContentKeyOptions,
  contentKey,
  newVersion,
  type PutImmutableOptions,
  type PutImmutableResult,
  putImmutable,
  versionedKey,
} from "./immutable.js";
export { isSafeKey, MAX_KEY_BYTES, type SafeKeyOptions, safeKey, UnsafeKeyError, type UnsafeKeyReason } from "./key.js";
export {
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  type MultipartProgress,
  MultipartUploadError,
  type UploadMultipartOptions,
  type UploadMultipartResult,
  uploadMultipart,
} from "./multipart.js";
export { type ServeObjectOptions, serveObject } from "./serve.js";
