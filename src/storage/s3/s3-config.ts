import { z } from 'zod';

/** The most one PutObject may carry on AWS S3 (and Ceph RGW's default `rgw_max_put_size`): 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/** The largest S3 object: 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** Parts of one multipart upload, at most (S3's limit). */
export const MAX_PARTS = 10_000;

/** The smallest part but the last of a multipart upload (S3's limit, and Ceph RGW's default `rgw_multipart_min_part_size`). */
export const MIN_PART_BYTES = 5 * 1024 ** 2;

/** The largest file a multipart upload of parts this size can hold. */
export function largestMultipartObject(partSize: number): number {
  return Math.min(MAX_OBJECT_BYTES, partSize * MAX_PARTS);
}

/** `storage.s3`: the bucket of the `s3` backend. Credentials come from the AWS SDK's default chain. */
export const s3ConfigSchema = z
  .object({
    /** S3-compatible endpoint (also S3_ENDPOINT), e.g. `http://127.0.0.1:7480`; absent = AWS itself. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** Bucket name (also S3_BUCKET); required with backend `s3`. */
    bucket: z.string().min(3).max(63).optional(),
    /** Region to sign for (also S3_REGION). */
    region: z.string().min(1).default('us-east-1'),
    /** Key prefix inside the bucket ('' = none; a trailing '/' is added when missing). */
    prefix: z.string().default(''),
    /** Path-style URLs (`<endpoint>/<bucket>/<key>`); default: true when an endpoint is set. */
    forcePathStyle: z.boolean().optional(),
    /** Create the bucket at start (and when /readyz finds it missing). */
    createBucket: z.boolean().default(false),
    /** Deadline of each S3 call up to its answer, and of a pause in a download's body, in ms (a PUT gets 1 s more per MiB). */
    timeoutMs: z.number().int().min(100).default(10_000),
    /** Files this large or larger go as a multipart upload of parts this size (S3: 5 MiB to 5 GiB), sent while they arrive. */
    partSize: z
      .number()
      .int()
      .min(MIN_PART_BYTES)
      .max(5 * 1024 ** 3)
      .default(16 * 1024 ** 2),
    /** Parts of one upload at once, filling or in flight: on disk for a streamed POST /media, in memory for a resumable upload. */
    queueSize: z.number().int().min(1).max(64).default(4),
  })
  .strict()
  // Resolved once here: the store and the resumable uploads' client both need it.
  .transform((s3) => ({ ...s3, forcePathStyle: s3.forcePathStyle ?? s3.endpoint !== undefined }));
