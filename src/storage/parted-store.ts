import type { Readable } from 'node:stream';
import type { ObjectKey, StreamedObject } from './byte-store.ts';

/**
 * A multipart upload toward the object at `key` whose parts any process or host may send, one
 * request at a time: plain data, kept by its caller (a resumable upload's record) between requests.
 */
export interface PartedUpload {
  readonly key: ObjectKey;
  /** The engine's name of the multipart upload. */
  readonly uploadId: string;
  /** The writer's name (`<pid>-<uuid>`), the object's user metadata: its sha256 and attributes are found by it. */
  readonly upload: string;
}

/** A part as sent: what the completion names, and how many bytes it holds. */
export interface SentPart {
  readonly PartNumber: number;
  readonly ETag: string;
  readonly size: number;
}

/**
 * A backend whose large objects can be built part by part across requests and hosts (S3:
 * resumable uploads sending each chunk as parts of one multipart upload), then completed in
 * place, never replacing an object, as a streamed body is. Optional: a backend without it stages.
 */
export interface PartedStore {
  /** Bytes of a part as the store cuts them (S3: `storage.s3.partSize`). */
  readonly partSize: number;
  /** The fewest bytes a part but the last may hold (S3: 5 MiB). */
  readonly minPartSize: number;
  /** The most parts one upload may have (S3: 10,000). */
  readonly maxParts: number;
  /** Parts of one upload to hold in memory or in flight at once, the one being filled included (S3: `storage.s3.queueSize`). */
  readonly queueSize: number;
  /** Starts a multipart upload toward `key`; nothing is visible until the completion. */
  beginParts(key: ObjectKey, contentType: string | undefined): Promise<PartedUpload>;
  /** Sends (or sends again: the last one sent counts) part `partNumber`. */
  sendPart(parted: PartedUpload, partNumber: number, bytes: Buffer): Promise<SentPart>;
  /**
   * Sends part `partNumber` as its `size` bytes arrive on `body`, so receiving and sending overlap.
   * A body that cannot deliver them all must be cut through `signal`: the send then fails and the
   * part is not made (the gateway never takes a body shorter than declared). No deadline on the
   * whole (the body comes at its sender's pace); it fails when the gateway takes nothing for the
   * store's timeout while bytes wait for it.
   */
  streamPart(parted: PartedUpload, partNumber: number, body: Readable, size: number, signal: AbortSignal): Promise<SentPart>;
  /**
   * The parts sent, as a body sent whole: `complete` makes them the object (FILE_EXISTS when the
   * name is taken). A failed completion keeps the parts, and `abort` leaves them too: their owner
   * decides when they go (abandonParts), so a completion that failed for a passing reason can run again.
   */
  partsSent(parted: PartedUpload, sent: { parts: readonly SentPart[]; size: number; sha256: string }): StreamedObject;
  /** Drops the multipart upload and its parts (missing is no error). */
  abandonParts(parted: PartedUpload): Promise<void>;
}

/** The parted uploads of a store that has them (S3), else undefined. */
export function partedOf(store: object): PartedStore | undefined {
  return (store as { parted?: PartedStore }).parted;
}
