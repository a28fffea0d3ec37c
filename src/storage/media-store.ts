import type { Readable } from 'node:stream';
import type { MediaPath } from '../media/schemas.ts';

/** What the audio parser found; fields it could not read are absent. */
export interface AudioMetadata {
  durationSeconds?: number;
  bitrate?: number;
  sampleRate?: number;
  channels?: number;
  codec?: string;
  title?: string;
  artist?: string;
}

/** A file as stored: what the API reports for it. */
export interface StoredFile {
  directory: string;
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
  /** Null when the content passed the format check but its metadata could not be parsed. */
  metadata: AudioMetadata | null;
}

/** A stored file as the read side sees it. */
export interface StoredEntry extends StoredFile {
  modified: Date;
}

/** Inclusive byte range, as in HTTP `Content-Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A stored file ready to be read. */
export interface OpenedMedia extends StoredEntry {
  /** The bytes, streamed: the whole file, or one range of it. */
  read(range?: ByteRange): Readable;
}

export interface ListOptions {
  limit: number;
  /** Only names after this one (in the listing order): the previous page's last name. */
  after?: string;
}

export interface ListPage {
  /** Files in byte order of their UTF-8 names. */
  files: StoredEntry[];
  /** Subdirectory names, in the same order (all of them, not paged). */
  directories: string[];
  /** Set when more files follow: pass it as `after` for the next page. */
  nextAfter?: string;
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
  /** A published file with its description, or undefined when there is none. */
  open(target: MediaPath): Promise<OpenedMedia | undefined>;
  /** One page of a directory's files (hidden and temp files never appear); undefined when absent. */
  list(directory: string, options: ListOptions): Promise<ListPage | undefined>;
  /** Problems that keep the store from working (empty when ready), for /readyz. */
  ready(): Promise<string[]>;
  /** Stops background work and releases the worker pool. */
  close(): Promise<void>;
}
