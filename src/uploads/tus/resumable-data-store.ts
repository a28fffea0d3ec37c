import type { Readable } from 'node:stream';
import type { DataStore, Upload } from '@tus/utils';
import type { StagedBytes, StagingSeam, StreamedObject } from '../../storage/byte-store.ts';
import type { CompletionAnswer, UploadRecord } from '../records/upload-records.ts';

/** The tus extensions both stores serve. creation-defer-length is left out: the size must be judged against media.maxFileSize at creation. */
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum'];

/**
 * What ResumableUploads needs of a tus DataStore beyond @tus/server's contract: the completion of
 * an upload whose every byte is in (UploadFinisher), which keeps those bytes until the publish has
 * decided and writes the decision into the record, and an expiry sweep that can run one upload at
 * a time under the upload's lock. One implementation keeps uploads on this host's disk
 * (UploadDataStore), one in the bucket (BucketUploadStore).
 */
export interface ResumableDataStore extends DataStore {
  /**
   * Set by ResumableUploads: completes a pending upload (every byte in, nothing decided). The store
   * calls it, under the lock its caller holds, when getUpload or remove finds one, so that no
   * answer reports an upload complete before its file is stored.
   */
  completePending?: (id: string) => Promise<unknown>;
  /** The record as stored now (never the request's copy). */
  readRecord(id: string): Promise<UploadRecord | undefined>;
  /** Notes in the record that the publish of this complete upload begins. */
  markCompleting(record: UploadRecord): Promise<void>;
  /**
   * Stages the bytes of a complete upload in `store` (consumed by the publish, whatever its
   * outcome). The upload keeps its own bytes until settle(): a crash during the publish loses none.
   */
  stageComplete(store: StagingSeam, upload: Upload): Promise<StagedBytes>;
  /**
   * A complete upload whose bytes already are where they become the file (S3: the parts of a
   * multipart upload at its own key), with their size and sha256: published by completing them,
   * not staged. Undefined for an upload whose bytes are staged (stageComplete).
   */
  sentInPlace?(record: UploadRecord): Promise<StreamedObject | undefined>;
  /**
   * Set by judgeFirstBytes: the content check of a file's start, which a store that sends bytes
   * where they become the file calls before it sends the first (throws the refusal).
   */
  judgeStart?: (start: Buffer, record: UploadRecord) => Promise<void>;
  /** The bytes of a complete upload, in order (to tell whether a crashed publish stored them already). */
  readBytes(record: UploadRecord): Readable;
  /** Writes the publish's decision into the record (which stays until expiry), then drops the bytes. */
  settle(record: UploadRecord, outcome: CompletionAnswer): Promise<void>;
  /**
   * Takes the last piece of a complete upload back (its offset moves back by that piece), so that
   * a publish that failed for a passing reason can run again once the client resends it. Answers
   * the new offset; absent where a failed publish leaves the upload complete for the next request.
   */
  rewind?(id: string): Promise<number | undefined>;
  /** Drops what is left of an upload (its record first, then its bytes). Safe to call twice. */
  forget(id: string): Promise<void>;
  /** Uploads whose every byte is in and whose publish has not decided (a crash interrupted it). */
  pendingIds(): Promise<string[]>;
  /** Uploads created before `createdBefore` (ms since the epoch), and leftovers of removed ones. */
  expiredIds(createdBefore: number): Promise<string[]>;
  /** Removes the upload when it is still one of expiredIds(createdBefore); whether it did. */
  removeIfExpired(id: string, createdBefore: number): Promise<boolean>;
  /** Releases what the store holds (connections). */
  close(): Promise<void>;
}
