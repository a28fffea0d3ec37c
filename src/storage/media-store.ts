import type { Readable } from 'node:stream';
import type { MediaPath } from '../media/schemas.ts';

/** A file as stored: what the API reports for it. */
export interface StoredFile {
  directory: string;
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
}

/** Bytes received but not yet published; opaque to callers. */
export interface StagedUpload {
  readonly size: number;
}

export interface PublishOptions {
  /** Lower-cased extension with its dot; the content must be of this format when verifying. */
  extension: string;
  verifyContent: boolean;
}

/**
 * Where media lives. Routes see only this seam, so a store other than the local disk (an
 * S3-compatible bucket: staging = a temporary object, publish = conditional PUT with
 * `If-None-Match: *`) can replace it without touching them.
 */
export interface MediaStore {
  /** Receives bytes into a private staging area. On a source error it rejects and keeps nothing. */
  stage(source: Readable | Uint8Array): Promise<StagedUpload>;
  /**
   * Verifies, hashes, makes durable and publishes the staged bytes at `target` without ever
   * replacing an existing file. Consumes the staged upload whatever the outcome. Throws AppError
   * FILE_EXISTS, FORMAT_NOT_SUPPORTED or INVALID_ARGUMENT (a path that escapes the root).
   */
  publish(staged: StagedUpload, target: MediaPath, options: PublishOptions): Promise<StoredFile>;
  /** Drops a staged upload that will not be published. Safe to call twice. */
  discard(staged: StagedUpload): Promise<void>;
  /** Deletes a published file; false when there was none. */
  remove(target: MediaPath): Promise<boolean>;
  /** Stops background work and releases the worker pool. */
  close(): Promise<void>;
}
