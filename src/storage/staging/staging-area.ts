import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Piscina } from 'piscina';
import { ownedConcat, readHead } from './buffer-small.ts';
import type { StagedBytes } from '../byte-store.ts';
import { asStorageError } from '../no-space.ts';
import type { Followed } from '../local/follow-file.ts';
import { sweepStale } from './sweep.ts';
import { WriteFollower } from '../local/write-follower.ts';
import { freeWhenWritten } from './spent-buffers.ts';
import { STAGING_WRITE_BUFFER_BYTES } from './staging-write-buffer.ts';

/** Temp files live here, under the root but unreachable by the API (names never start with '.'). */
export const INCOMING_DIR = '.incoming';
const TEMP_SUFFIX = '.part';
/** `<pid>-<uuid>`: the sweep of another process knows whose a temp file is. */
const ID = /^\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Uploads up to this size are staged in memory and written by the pool in one task: one thread
 * hand-off per upload instead of an open, writes and a close through libuv's threadpool, and no
 * re-reading to hash. Larger ones stream to a temp file, so memory stays bounded.
 */
export const MEMORY_STAGING_LIMIT = 256 * 1024;

/** A staged upload as this process holds it. */
export interface Held extends StagedBytes {
  tempPath: string;
  /** Small uploads: the bytes, written to `tempPath` only when committed. */
  bytes?: Uint8Array;
  /** Hashing (and flushing) a large upload's temp file while it is written. */
  follower?: WriteFollower;
  /** The hash its writer computed (a resumable upload's file, taken over whole). */
  known?: Followed;
}

/**
 * Temp files an upload of this process is writing or committing: never swept. One set for the
 * process, as the pid in their names is the process's: a second store on the same root (tests)
 * must not sweep the first one's uploads as leftovers.
 */
const inUse = new Set<string>();

async function* headThenRest(head: Buffer[], rest: Readable): AsyncGenerator<Buffer> {
  yield* head;
  yield* rest;
}

/** The local backend's staging area, `<root>/.incoming`. */
export class Staging {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly incoming: string,
    private readonly pool: Piscina,
    private readonly fsync: boolean,
  ) {}

  async stage(source: Readable | Uint8Array): Promise<Held> {
    const id = `${process.pid}-${randomUUID()}`;
    const tempPath = this.tempPathOf(id);
    if (source instanceof Uint8Array) return this.hold({ id, size: source.length, tempPath, bytes: source });
    // Between the head read and the pipeline below, an error of the source has no other
    // listener and would be thrown as uncaught; the pipeline still sees it (the stream is
    // errored) and rejects.
    const untilPiped = () => undefined;
    source.on('error', untilPiped);
    try {
      return await this.stageStream(id, tempPath, source);
    } finally {
      source.off('error', untilPiped);
    }
  }

  private async stageStream(id: string, tempPath: string, source: Readable): Promise<Held> {
    const head = await readHead(source, MEMORY_STAGING_LIMIT);
    if (head.ended) return this.hold({ id, size: head.size, tempPath, bytes: ownedConcat(head.chunks, head.size) });
    inUse.add(tempPath);
    let follower: WriteFollower | undefined;
    try {
      const file = await fs.open(tempPath, 'wx', 0o644);
      follower = new WriteFollower(this.pool, tempPath, this.fsync);
      const sink = freeWhenWritten(file.createWriteStream({ highWaterMark: STAGING_WRITE_BUFFER_BYTES }));
      await pipeline(headThenRest(head.chunks, source), sink);
      follower.finish(sink.bytesWritten);
      return this.hold({ id, size: sink.bytesWritten, tempPath, follower });
    } catch (error) {
      follower?.stop();
      await fs.rm(tempPath, { force: true });
      inUse.delete(tempPath);
      throw asStorageError(error);
    }
  }

  /** Moves a complete file of the same filesystem into staging, as an upload of this process. */
  async takeFile(file: string, sha256?: string): Promise<Held> {
    const id = `${process.pid}-${randomUUID()}`;
    const tempPath = this.tempPathOf(id);
    inUse.add(tempPath);
    try {
      await fs.rename(file, tempPath);
      const { size } = await fs.stat(tempPath);
      return this.hold({ id, size, tempPath, known: sha256 === undefined ? undefined : { size, sha256 } });
    } catch (error) {
      inUse.delete(tempPath);
      throw asStorageError(error);
    }
  }

  /** A staged upload of this process, or one another process left in the staging area. */
  async adopt(id: string): Promise<Held | undefined> {
    const mine = this.held.get(id);
    if (mine || !ID.test(id)) return mine;
    const tempPath = this.tempPathOf(id);
    const stat = await fs.stat(tempPath).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    inUse.add(tempPath);
    return this.hold({ id, size: stat.size, tempPath });
  }

  heldOf(id: string): Held | undefined {
    return this.held.get(id);
  }

  /** Takes a held upload out of staging for its commit; the caller releases it when done. */
  take(staged: StagedBytes): Held | undefined {
    const held = this.held.get(staged.id);
    this.held.delete(staged.id);
    if (held) inUse.add(held.tempPath);
    return held;
  }

  /** The follower's hash if it covered exactly the staged bytes. */
  async followed(held: Held): Promise<Followed | undefined> {
    if (held.known) return held.known;
    const followed = await held.follower?.result;
    return followed?.size === held.size ? followed : undefined;
  }

  release(held: Held): void {
    inUse.delete(held.tempPath);
  }

  async discard(id: string): Promise<void> {
    const held = this.held.get(id);
    this.held.delete(id);
    held?.follower?.stop();
    // Not held, and ours: committed or discarded already, nothing of it is left on disk.
    if (!ID.test(id) || (!held && id.startsWith(`${process.pid}-`))) return;
    const tempPath = held?.tempPath ?? this.tempPathOf(id);
    await fs.rm(tempPath, { force: true });
    inUse.delete(tempPath);
  }

  async ids(): Promise<string[]> {
    const names = await fs.readdir(this.incoming).catch(() => [] as string[]);
    const onDisk = names.filter((name) => name.endsWith(TEMP_SUFFIX)).map((name) => name.slice(0, -TEMP_SUFFIX.length));
    return [...new Set([...this.held.keys(), ...onDisk])].sort();
  }

  /**
   * Removes abandoned temp files: older than `maxAgeMs` and not of an upload in progress here or
   * in another running process. At start, every leftover of a process that is gone.
   */
  sweep(maxAgeMs: number, atStart: boolean): Promise<number> {
    const incoming = this.incoming;
    return sweepStale(incoming, { maxAgeMs, atStart, inUse: (name) => inUse.has(path.join(incoming, name)) });
  }

  /** On the way out: this process's temp files that are not in use by another store of it. */
  async removeOwnLeftovers(): Promise<void> {
    for (const held of this.held.values()) held.follower?.stop();
    const own = `${process.pid}-`;
    const names = (await fs.readdir(this.incoming).catch(() => [] as string[])).filter((name) => name.startsWith(own));
    const mine = new Set([...this.held.values()].map((held) => held.tempPath));
    const leftovers = names.map((name) => path.join(this.incoming, name)).filter((file) => mine.has(file) || !inUse.has(file));
    await Promise.all(leftovers.map((file) => fs.rm(file, { force: true })));
    for (const file of mine) inUse.delete(file);
    this.held.clear();
  }

  tempPathOf(id: string): string {
    return path.join(this.incoming, `${id}${TEMP_SUFFIX}`);
  }

  private hold(held: Held): Held {
    this.held.set(held.id, held);
    return held;
  }
}
