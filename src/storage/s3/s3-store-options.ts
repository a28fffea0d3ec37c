import type { Locker } from '@tus/utils';

/** How long a completion waits for a rival's on the same name when no locker is given (uploads.lockTimeoutMs's default). */
export const DEFAULT_LOCK_TIMEOUT_MS = 20_000;

export const DEFAULT_PART_SIZE = 16 * 1024 ** 2;
export const DEFAULT_QUEUE_SIZE = 4;

/** How long a stored object's bytes fetched for inspection stay on this host. */
export const STORED_SOURCE_KEEP_MS = 5 * 60_000;

export interface S3StoreOptions {
  /** Absent for AWS itself. */
  endpoint?: string;
  bucket: string;
  region: string;
  /** Key prefix inside the bucket ('' for none). */
  prefix: string;
  forcePathStyle: boolean;
  /** Create the bucket when it is missing (at start and when checking readiness). */
  createBucket: boolean;
  /** Local staging directory of this host: uploads are received and checked here first. */
  stagingDir: string;
  /** Deadline of each S3 call up to its answer (a PUT gets more per MiB). */
  timeoutMs: number;
  /** Requests in flight to the gateway from this process, at most. */
  maxSockets?: number;
  /** Bytes per part of a multipart upload (default 16 MiB). */
  partSize?: number;
  /** Parts of one multipart upload at once, filling or in flight (default 4): in files for a streamed body, in memory for a resumable one. */
  queueSize?: number;
  /** Largest staged file sent with one PutObject (default and most: 5 GiB); a larger one goes as a multipart upload. */
  maxPutBytes?: number;
  /** Parts of all this store's multipart uploads in flight to the gateway at once (default 2 x queueSize). */
  partsInFlight?: number;
  /** Locks object names while a multipart upload completes: Redis across hosts, else this process's (the default). */
  locker?: Locker;
  /** Lets go of what the locker holds (its Redis connection), when the store closes. */
  closeLocker?: () => void;
  /** Told at start whether the engine enforces If-None-Match on CompleteMultipartUpload (undefined: the bucket did not answer). */
  onCompletionCondition?: (enforced: boolean | undefined) => void;
}
