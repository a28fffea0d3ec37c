import type { DataStore, Upload } from '@tus/utils';
import type { ByteStore, StagedBytes } from '../storage/byte-store.ts';

/** The tus extensions both stores serve. creation-defer-length is left out: the size must be judged against media.maxFileSize at creation. */
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum'];

/**
 * What ResumableUploads needs of a tus DataStore beyond @tus/server's contract: handing a
 * complete upload to the byte store for the publish pipeline, forgetting it afterwards, and an
 * expiry sweep that can run one upload at a time under the upload's lock. One implementation
 * keeps uploads on this host's disk (UploadDataStore), one in the bucket (BucketUploadStore).
 */
export interface ResumableDataStore extends DataStore {
  /** Stages the bytes of a complete upload in `store` (consumed by the publish, whatever its outcome). */
  stageComplete(store: ByteStore, upload: Upload): Promise<StagedBytes>;
  /**
   * Takes the last piece of a complete upload back (its offset moves back by that piece), so that
   * a publish that failed for a passing reason can run again once the client resends it. Answers
   * the new offset; absent where the bytes cannot outlive a publish (the local store moves them).
   */
  rewind?(id: string): Promise<number | undefined>;
  /** Drops what is left of an upload (its record first, then its bytes). Safe to call twice. */
  forget(id: string): Promise<void>;
  /** Uploads created before `createdBefore` (ms since the epoch), and leftovers of removed ones. */
  expiredIds(createdBefore: number): Promise<string[]>;
  /** Removes the upload when it is still one of expiredIds(createdBefore); whether it did. */
  removeIfExpired(id: string, createdBefore: number): Promise<boolean>;
  /** Releases what the store holds (connections). */
  close(): Promise<void>;
}
