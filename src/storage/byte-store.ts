import type { Readable } from 'node:stream';
import { AppError } from '../errors.ts';
import type { PoolStats } from '../worker-pool.ts';

/**
 * Where an object lives: a directory of `/`-joined segments ('' is the top) and a name. The
 * store's own key type: callers validate names before they get here (no empty, '.', '..' or
 * dot-first segments, no control characters, no NUL), the store never trusts them to stay inside.
 */
export interface ObjectKey {
  readonly directory: string;
  readonly name: string;
}

/**
 * Bytes received but not committed. `id` is serialisable: a later request, or another process
 * sharing the store, finds the same upload again with `adopt(id)`.
 */
export interface StagedBytes {
  readonly id: string;
  readonly size: number;
}

/**
 * Where a worker thread can read staged or stored bytes to inspect them: the bytes themselves
 * (small uploads held in memory) or a file path it may open. A remote backend adds its own kind.
 */
export type ByteSource = { readonly bytes: Uint8Array } | { readonly file: string };

/** What the caller attaches to an object (JSON): opaque to the store, kept in its index. */
export type Attributes = { readonly [name: string]: unknown };

/** A committed object as the store knows it. */
export interface StoredObject {
  readonly key: ObjectKey;
  readonly size: number;
  readonly sha256: string;
  readonly modified: Date;
  /** Names this exact version of the bytes: attributes are attached only to the version they describe. */
  readonly version: string;
  /** Absent for an object the store found without them (copied in by hand). */
  readonly attributes?: Attributes;
}

/** A stored object found for reading: one lookup serves its description and then its bytes. */
export interface OpenedObject extends StoredObject {
  /**
   * The object's bytes, or one range of them: the version described, never another one stored
   * since under the same key. Rejects with `objectVanished(key)` if the object vanished since it was
   * opened (a backend that holds the version open never does).
   */
  read(range?: ByteRange): Promise<Readable>;
  /** Lets go of what open() holds (a descriptor) when read() is not called (HEAD, 304, an error). */
  release?(): Promise<void>;
}

/** What read() rejects with for an object deleted between open and read: the download answers 404. */
export function objectVanished(key: ObjectKey): AppError {
  return new AppError('NOT_FOUND', `not found: ${key.directory}/${key.name}`);
}

/** Inclusive byte range, as in HTTP `Content-Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ListOptions {
  limit: number;
  /** Only names after this one in the listing order: the previous page's last name. */
  after?: string;
}

export interface ObjectPage {
  /** Objects in byte order of their UTF-8 names. */
  objects: StoredObject[];
  /** Subdirectory names in the same order (all of them, not paged). */
  directories: string[];
  /** Set when more objects follow: pass it as `after` for the next page. */
  nextAfter?: string;
}

/**
 * The staging area's part of the seam (storage/staging/): bytes received and hashed on this host,
 * not yet in the object store, adoptable by id from any process of the host.
 */
export interface StagingSeam {
  /**
   * Receives bytes into private staging, hashing them as they arrive. On a source error it
   * rejects and keeps nothing. Bytes given in one piece are taken over (moved to a worker thread
   * without a copy): the caller must not use them afterwards.
   */
  stage(source: Readable | Uint8Array): Promise<StagedBytes>;
  /**
   * Stages a complete file the caller assembled under `privateDirectory(area)` by moving it (no
   * copy): how a resumable upload, written piece by piece, reaches commit. The file is gone after.
   * `sha256` (hex), when the caller hashed the bytes as they were written, spares re-reading them.
   */
  stageFile(file: string, sha256?: string): Promise<StagedBytes>;
  /** A staged upload by its id, from this process or another; undefined when gone. */
  adopt(id: string): Promise<StagedBytes | undefined>;
  /** Where a worker thread can read a staged upload's bytes. */
  source(staged: StagedBytes): ByteSource;
  /** Drops a staged upload (by handle or id). Safe to call twice, and for an id already committed. */
  discard(staged: StagedBytes | string): Promise<void>;
  /** Ids of the staged uploads not yet committed or discarded, of every process. */
  staged(): Promise<string[]>;
}

/** The host-local work area: directories for a caller's own files, never part of the object store. */
export interface WorkArea {
  /** A directory of the store's private area for a caller's own work files (created if absent). */
  privateDirectory(area: string): Promise<string>;
}

/**
 * The object store: committed objects by key. It knows bytes, keys and opaque attributes; what the
 * bytes mean (formats, audio metadata) is for its callers. Errors with a place in the code table
 * are AppErrors: FILE_EXISTS, INVALID_ARGUMENT (a key the backend cannot hold), INSUFFICIENT_STORAGE.
 */
export interface ObjectStore {
  /**
   * Makes the staged bytes the object at `key`, whole and (per the backend's durability setting)
   * durable, without ever replacing an existing object: of concurrent commits to one key exactly
   * one wins, the others get FILE_EXISTS. Consumes the staged upload whatever the outcome.
   */
  commit(staged: StagedBytes, key: ObjectKey, attributes: Attributes): Promise<StoredObject>;
  /** The object at `key`, undefined when there is none. */
  head(key: ObjectKey): Promise<StoredObject | undefined>;
  /** The object at `key` ready to be read (a download's one lookup), undefined when there is none. */
  open(key: ObjectKey): Promise<OpenedObject | undefined>;
  /** Where a worker thread can read a stored object's bytes; undefined when there is none. */
  storedSource(key: ObjectKey): Promise<ByteSource | undefined>;
  /** Attaches attributes to one version of an object (ignored when the object has changed since). */
  annotate(key: ObjectKey, version: string, attributes: Attributes): Promise<void>;
  /** One page of a directory; undefined when the directory does not exist. */
  list(directory: string, options: ListOptions): Promise<ObjectPage | undefined>;
  /** Deletes an object; false when there was none. */
  remove(key: ObjectKey): Promise<boolean>;
}

/**
 * The byte-store seam as a backend (a local disk, an S3-compatible bucket) serves it: the three
 * parts above, each caller taking only the part it needs, and the backend's own lifecycle.
 */
export interface ByteStore extends StagingSeam, WorkArea, ObjectStore {
  /** Problems that keep the store from working (empty when ready), for /readyz. */
  ready(): Promise<string[]>;
  /** The store's worker pool, for metrics (zeros when it has none). */
  stats(): PoolStats;
  /** Stops background work and releases what the store holds. */
  close(): Promise<void>;
}

/**
 * A backend that takes a large file into the object store while it arrives (S3: the parts of a
 * multipart upload) instead of staging it on the host first. Optional: a backend without it stages.
 */
export interface StreamingStore {
  /** Files at least this large are worth streaming (S3: `storage.s3.partSize`); smaller ones are staged. */
  readonly streamFrom: number;
  /**
   * Sends `body` toward the object at `key`, hashing it on the way; nothing is visible until
   * `complete`. A failure of the body or of the store drops what was sent before it rejects.
   */
  stream(body: AsyncIterable<Buffer>, key: ObjectKey, contentType: string | undefined, signal?: AbortSignal): Promise<StreamedObject>;
}

/** A body sent whole into the object store but not yet an object. */
export interface StreamedObject {
  readonly size: number;
  readonly sha256: string;
  /** Makes it the object, never replacing one (FILE_EXISTS, and what was sent dropped, when the name is taken). */
  complete(attributes: Attributes): Promise<StoredObject>;
  /** Drops what was sent (safe after complete, and twice). */
  abort(): Promise<void>;
}
