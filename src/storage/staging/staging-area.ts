import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StagedBytes } from '../byte-store.ts';
import { asStorageError } from '../no-space.ts';
import { ownedConcat, readHead } from './buffer-small.ts';
import { EarlyFlush } from './early-flush.ts';
import { RunningHash, type Digest, type RunHash } from './running-hash.ts';
import { freeWhenWritten } from './spent-buffers.ts';
import { STAGING_WRITE_BUFFER_BYTES } from './staging-write-buffer.ts';
import { sweepStale } from './sweep.ts';

/** The staging area's directory under the storage root, unreachable by the API (names never start with '.'). */
export const INCOMING_DIR = '.incoming';
const SUFFIX = '.part';
/** Copies of stored objects fetched to be inspected: not staged uploads, gone after a while. */
const COPY_SUFFIX = '.copy';
/** `<pid>-<uuid>`: the sweep of another process knows whose a staged file is. */
const ID = /^\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Uploads up to this size are held in memory until their commit: one hand-off per upload instead
 * of an open, writes and a close, and no re-reading to hash. Larger ones stream to a file, so
 * memory stays bounded.
 */
export const MEMORY_STAGING_LIMIT = 256 * 1024;

/** A staged upload as this process holds it. */
export interface StagedUpload extends StagedBytes {
  /** Where its bytes are (large uploads) or go when committed (small ones). */
  file: string;
  /** Small uploads: the bytes, in memory until committed. */
  bytes?: Uint8Array;
  /** The digest of a large upload's file, hashed while it was written (undefined when that failed). */
  hashing?: Promise<Digest | undefined>;
  /** The digest its writer computed (a file taken over whole). */
  known?: Digest;
}

/**
 * Files an upload of this process is writing, committing or reading: never swept. One set for the
 * process, as the pid in their names is the process's: a second store on the same root (tests)
 * must not sweep the first one's uploads as leftovers.
 */
const inUse = new Set<string>();

async function* headThenRest(head: Buffer[], rest: Readable, tap?: () => void): AsyncGenerator<Buffer> {
  for (const chunk of head) {
    tap?.();
    yield chunk;
  }
  for await (const chunk of rest) {
    tap?.();
    yield chunk as Buffer;
  }
}

export interface StagingOptions {
  /** Flush large uploads to disk as they arrive (the backend fsyncs what it commits). */
  flush: boolean;
}

/**
 * Where every backend receives an upload before it is committed (`<root>/.incoming`): bytes are
 * hashed as they arrive, small uploads held in memory, large ones written to `<id>.part`; a
 * staged upload can be adopted by id from another process, and what dead processes left is swept.
 */
export class StagingArea {
  private readonly held = new Map<string, StagedUpload>();
  private readonly hashes = RunningHash.shared();
  private hashesReleased = false;

  private constructor(
    readonly dir: string,
    private readonly options: StagingOptions,
  ) {}

  /** Opens `dir` (created when missing). */
  static async open(dir: string, options: StagingOptions): Promise<StagingArea> {
    await fs.mkdir(dir, { recursive: true });
    return new StagingArea(dir, options);
  }

  async stage(source: Readable | Uint8Array, suffix = SUFFIX): Promise<StagedUpload> {
    const id = `${process.pid}-${randomUUID()}`;
    const file = this.fileOf(id, suffix);
    if (source instanceof Uint8Array) return this.hold({ id, size: source.length, file, bytes: source });
    // Between the head read and the pipeline below, an error of the source has no other
    // listener and would be thrown as uncaught; the pipeline still sees it (the stream is
    // errored) and rejects.
    const untilPiped = () => undefined;
    source.on('error', untilPiped);
    try {
      return await this.stageStream(id, file, source);
    } finally {
      source.off('error', untilPiped);
    }
  }

  private async stageStream(id: string, file: string, source: Readable): Promise<StagedUpload> {
    const head = await readHead(source, MEMORY_STAGING_LIMIT);
    if (head.ended) return this.hold({ id, size: head.size, file, bytes: ownedConcat(head.chunks, head.size) });
    inUse.add(file);
    let hashing: RunHash | undefined;
    let flusher: EarlyFlush | undefined;
    try {
      const handle = await fs.open(file, 'wx', 0o644);
      hashing = this.hashes.follow(id, file, 0);
      const sink = freeWhenWritten(handle.createWriteStream({ highWaterMark: STAGING_WRITE_BUFFER_BYTES }));
      const flush = this.options.flush ? new EarlyFlush(handle) : undefined;
      flusher = flush;
      await pipeline(headThenRest(head.chunks, source, flush && (() => flush.wrote(sink.bytesWritten))), sink);
      await flush?.settled();
      const size = sink.bytesWritten;
      hashing.counted(size);
      return this.hold({ id, size, file, hashing: this.hashes.digest(id, size) });
    } catch (error) {
      hashing?.refused();
      this.hashes.forget(id);
      await flusher?.settled();
      await fs.rm(file, { force: true });
      inUse.delete(file);
      throw asStorageError(error);
    }
  }

  /** Moves a complete file of the same filesystem into staging (no copy), as an upload of this process. */
  async takeFile(source: string, sha256?: string): Promise<StagedUpload> {
    const id = `${process.pid}-${randomUUID()}`;
    const file = this.fileOf(id);
    inUse.add(file);
    try {
      await fs.rename(source, file);
      const { size } = await fs.stat(file);
      return this.hold({ id, size, file, known: sha256 === undefined ? undefined : { size, sha256 } });
    } catch (error) {
      inUse.delete(file);
      throw asStorageError(error);
    }
  }

  /** A staged upload of this process, or one another process left in the staging area. */
  async adopt(id: string): Promise<StagedUpload | undefined> {
    const mine = this.held.get(id);
    if (mine || !ID.test(id)) return mine;
    const file = this.fileOf(id);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    inUse.add(file);
    return this.hold({ id, size: stat.size, file });
  }

  /** A local copy of a stored object's bytes for a worker to read, removed after `keepMs`; never listed as staged. */
  async copy(source: Readable, keepMs: number): Promise<{ bytes: Uint8Array } | { file: string }> {
    const copied = await this.stage(source, COPY_SUFFIX);
    this.held.delete(copied.id);
    if (copied.bytes) return { bytes: copied.bytes };
    setTimeout(() => void fs.rm(copied.file, { force: true }).finally(() => inUse.delete(copied.file)), keepMs).unref();
    return { file: copied.file };
  }

  get(id: string): StagedUpload | undefined {
    return this.held.get(id);
  }

  /** Takes a held upload out of staging for its commit; the caller releases it when done. */
  take(staged: StagedBytes): StagedUpload | undefined {
    const held = this.held.get(staged.id);
    this.held.delete(staged.id);
    if (held) inUse.add(held.file);
    return held;
  }

  release(held: StagedUpload): void {
    inUse.delete(held.file);
  }

  /** The digest computed while the bytes arrived, if it covered exactly the staged bytes. */
  async digest(held: StagedUpload): Promise<Digest | undefined> {
    if (held.known) return held.known;
    const hashed = await held.hashing;
    return hashed?.size === held.size ? hashed : undefined;
  }

  /** The upload's SHA-256, hashed here when no digest was computed as it arrived (small or adopted uploads). */
  async sha256(held: StagedUpload): Promise<string> {
    const known = await this.digest(held);
    if (known) return known.sha256;
    const hash = createHash('sha256');
    if (held.bytes) hash.update(held.bytes);
    else await pipeline(createReadStream(held.file), hash);
    held.known = { size: held.size, sha256: hash.digest('hex') };
    return held.known.sha256;
  }

  /** Forgets an upload and removes its file. Safe to call twice. */
  async discard(id: string): Promise<void> {
    const held = this.held.get(id);
    this.held.delete(id);
    // Not held, and ours: committed or discarded already, nothing of it is left on disk.
    if (!ID.test(id) || held?.bytes !== undefined || (!held && id.startsWith(`${process.pid}-`))) return;
    const file = held?.file ?? this.fileOf(id);
    await fs.rm(file, { force: true });
    inUse.delete(file);
  }

  async ids(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const onDisk = names.filter((name) => name.endsWith(SUFFIX)).map((name) => name.slice(0, -SUFFIX.length));
    return [...new Set([...this.held.keys(), ...onDisk])].sort();
  }

  /**
   * Removes abandoned files: older than `maxAgeMs` and not of an upload in progress here or in
   * another running process. At start, every leftover of a process that is gone.
   */
  sweep(maxAgeMs: number, atStart: boolean): Promise<number> {
    const dir = this.dir;
    return sweepStale(dir, { maxAgeMs, atStart, inUse: (name) => inUse.has(path.join(dir, name)) });
  }

  /** A probe write: uploads can be staged here. Throws the file system's error when not. */
  async probe(): Promise<void> {
    const probe = this.fileOf(`${process.pid}-ready`);
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  }

  /** On the way out: this process's staged files that are not in use by another store of it. */
  async close(): Promise<void> {
    const own = `${process.pid}-`;
    const names = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((name) => name.startsWith(own));
    const mine = new Set([...this.held.values()].map((held) => held.file));
    const leftovers = names.map((name) => path.join(this.dir, name)).filter((file) => mine.has(file) || !inUse.has(file));
    await Promise.all(leftovers.map((file) => fs.rm(file, { force: true })));
    for (const file of mine) inUse.delete(file);
    this.held.clear();
    if (!this.hashesReleased) {
      this.hashesReleased = true;
      await this.hashes.close();
    }
  }

  private fileOf(id: string, suffix = SUFFIX): string {
    return path.join(this.dir, `${id}${suffix}`);
  }

  private hold(held: StagedUpload): StagedUpload {
    this.held.set(held.id, held);
    return held;
  }
}
