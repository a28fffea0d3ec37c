import { randomUUID } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Piscina } from 'piscina';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { extensionOf } from '../media/extension.ts';
import type { MediaPath } from '../media/schemas.ts';
import { contentTypeFor } from './content-types.ts';
import type {
  ListOptions,
  ListPage,
  MediaStore,
  OpenedMedia,
  PublishOptions,
  StagedUpload,
  StoredEntry,
  StoredFile,
} from './media-store.ts';
import { ownedConcat, readHead } from './buffer-small.ts';
import type { Followed } from './follow-file.ts';
import { findDirectoryInside } from './directory-inside.ts';
import { lowSpace } from './free-space.ts';
import { asStorageError, insufficientStorage } from './no-space.ts';
import { createPublishPool } from './publish-pool.ts';
import type { DescribeTask, PublishOutcome, PublishTask } from './publish.worker.ts';
import { readSidecar, sidecarPath, type Sidecar } from './sidecar.ts';
import { SidecarCache } from './sidecar-cache.ts';
import { sweepStale } from './sweep.ts';
import { WriteFollower } from './write-follower.ts';

/** Names compare by their UTF-8 bytes: one stable order whatever the locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const READY_TIMEOUT_MS = 2000;

/**
 * Uploads up to this size are staged in memory and written by the pool in one task: one thread
 * hand-off per upload instead of an open, writes and a close through libuv's threadpool, and no
 * re-reading to verify and hash. Larger ones stream to a temp file, so memory stays bounded.
 */
export const MEMORY_STAGING_LIMIT = 256 * 1024;

const cacheKey = (directory: string, filename: string) => `${directory}/${filename}`;

/** Temp files live here, under the root but unreachable by the API (names never start with '.'). */
export const INCOMING_DIR = '.incoming';

export interface LocalStoreOptions {
  root: string;
  poolSize: number;
  fsync: boolean;
  sweepIntervalMs: number;
  tempMaxAgeMs: number;
  /** Below this much free space on the root's filesystem, ready() reports a problem. */
  minFreeBytes?: number;
  onSweepError?: (error: unknown) => void;
}

/** The store options a validated config asks for. */
export function localStoreOptions(config: Config, onSweepError?: (error: unknown) => void): LocalStoreOptions {
  return {
    root: config.storage.root,
    poolSize: config.media.poolSize,
    fsync: config.media.fsync,
    sweepIntervalMs: config.storage.sweepIntervalMs,
    tempMaxAgeMs: config.storage.tempMaxAgeMs,
    minFreeBytes: config.storage.minFreeBytes,
    onSweepError,
  };
}

async function* headThenRest(head: Buffer[], rest: Readable): AsyncGenerator<Buffer> {
  yield* head;
  yield* rest;
}

class LocalStaged implements StagedUpload {
  consumed = false;

  constructor(
    readonly tempPath: string,
    readonly size: number,
    readonly bytes?: Uint8Array,
    /** Hashing (and flushing) the file while it was written; large uploads only. */
    readonly follower?: WriteFollower,
  ) {}
}

/** MediaStore on the local disk: staging in `<root>/.incoming`, publishing through a piscina pool. */
export class LocalStore implements MediaStore {
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly sidecars = new SidecarCache();
  /** Names of the temp files this process is writing or publishing: never swept. */
  private readonly inUse = new Set<string>();

  private constructor(
    readonly root: string,
    private readonly incoming: string,
    private readonly pool: Piscina,
    private readonly options: LocalStoreOptions,
  ) {
    const sweep = () => void this.sweep().catch((error) => options.onSweepError?.(error));
    this.sweepTimer = setInterval(sweep, options.sweepIntervalMs).unref();
  }

  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    await fs.mkdir(path.join(options.root, INCOMING_DIR), { recursive: true });
    const root = await fs.realpath(options.root);
    const store = new LocalStore(root, path.join(root, INCOMING_DIR), createPublishPool(options.poolSize), options);
    await store.sweep(true);
    return store;
  }

  /**
   * Removes abandoned temp files: older than `tempMaxAgeMs` and not of an upload in progress here
   * or in another running process. At start, every leftover of a process that is gone.
   */
  sweep(atStart = false): Promise<number> {
    const inUse = (name: string) => this.inUse.has(name);
    return sweepStale(this.incoming, { maxAgeMs: this.options.tempMaxAgeMs, inUse, atStart });
  }

  async stage(source: Readable | Uint8Array): Promise<StagedUpload> {
    const tempPath = this.tempPath('part');
    if (source instanceof Uint8Array) return new LocalStaged(tempPath, source.length, source);
    const head = await readHead(source, MEMORY_STAGING_LIMIT);
    if (head.ended) return new LocalStaged(tempPath, head.size, ownedConcat(head.chunks, head.size));
    this.claim(tempPath);
    const file = await fs.open(tempPath, 'wx', 0o644).catch((error: unknown) => {
      this.release(tempPath);
      throw asStorageError(error);
    });
    const follower = new WriteFollower(this.pool, tempPath, this.options.fsync);
    const sink = file.createWriteStream();
    try {
      await pipeline(headThenRest(head.chunks, source), sink);
    } catch (error) {
      follower.stop();
      await fs.rm(tempPath, { force: true });
      this.release(tempPath);
      throw asStorageError(error);
    }
    follower.finish(sink.bytesWritten);
    return new LocalStaged(tempPath, sink.bytesWritten, undefined, follower);
  }

  async publish(staged: StagedUpload, target: MediaPath, options: PublishOptions): Promise<StoredFile> {
    const upload = this.own(staged);
    upload.consumed = true;
    this.claim(upload.tempPath);
    try {
      return await this.publishClaimed(upload, target, options);
    } finally {
      this.release(upload.tempPath);
    }
  }

  private async publishClaimed(upload: LocalStaged, target: MediaPath, options: PublishOptions): Promise<StoredFile> {
    const task: PublishTask = {
      root: this.root,
      tempPath: upload.tempPath,
      bytes: upload.bytes,
      directory: target.directory,
      filename: target.filename,
      extension: options.extension,
      verifyContent: options.verifyContent,
      fsync: this.options.fsync,
      followed: await this.followed(upload),
    };
    const bytes = upload.bytes;
    // Zero-copy hand-off when the bytes own their whole ArrayBuffer; otherwise structured clone.
    const transferList = bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? [bytes.buffer as ArrayBuffer]
      : undefined;
    const outcome: PublishOutcome = await this.pool.run(task, { transferList });
    if (outcome.ok) {
      const { size, sha256, metadata } = outcome;
      return { ...target, size, sha256, contentType: contentTypeFor(options.extension), metadata };
    }
    switch (outcome.error) {
      case 'EXISTS':
        throw new AppError('FILE_EXISTS');
      case 'FORMAT':
        throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: ${outcome.detail}`);
      case 'PATH':
        throw new AppError('INVALID_ARGUMENT', `invalid argument: ${outcome.detail}`);
      case 'NO_SPACE':
        throw insufficientStorage(outcome.detail);
    }
  }

  async discard(staged: StagedUpload): Promise<void> {
    const upload = this.own(staged);
    if (upload.consumed) return;
    upload.consumed = true;
    upload.follower?.stop();
    await fs.rm(upload.tempPath, { force: true });
    this.release(upload.tempPath);
  }

  async remove(target: MediaPath): Promise<boolean> {
    const directory = await this.realDirectory(target.directory);
    if (!directory) return false;
    const file = path.join(directory, target.filename);
    // lstat: a symlink is not a stored file, so it is never removed through the API.
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat?.isFile()) return false;
    try {
      await fs.unlink(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EPERM') return false;
      throw error;
    }
    this.sidecars.delete(cacheKey(target.directory, target.filename));
    await fs.rm(sidecarPath(this.root, target.directory, target.filename), { force: true });
    return true;
  }

  async open(target: MediaPath): Promise<OpenedMedia | undefined> {
    const directory = await this.realDirectory(target.directory);
    if (!directory) return undefined;
    const file = path.join(directory, target.filename);
    // lstat: a symlink is never served, wherever it points.
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    const entry = await this.describe(target.directory, target.filename, stat);
    // With its end known the stream stops after the last byte instead of reading once more to
    // find EOF: one file operation fewer per download.
    const whole = stat.size > 0 ? { start: 0, end: stat.size - 1 } : undefined;
    return { ...entry, read: (range) => createReadStream(file, range ?? whole) };
  }

  async list(directory: string, { limit, after }: ListOptions): Promise<ListPage | undefined> {
    const real = await this.realDirectory(directory);
    if (!real) return undefined;
    const entries = await fs.readdir(real, { withFileTypes: true }).catch(() => undefined);
    if (!entries) return undefined;
    const visible = entries.filter((entry) => !entry.name.startsWith('.')).sort((a, b) => byteOrder(a.name, b.name));
    const directories = visible.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const names = visible
      .filter((entry) => entry.isFile() && (after === undefined || byteOrder(entry.name, after) > 0))
      .map((entry) => entry.name);
    const page = names.slice(0, limit);
    const files = await Promise.all(page.map((name) => this.entry(real, directory, name)));
    const present = files.filter((file): file is StoredEntry => file !== undefined);
    return { files: present, directories, nextAfter: names.length > limit ? page.at(-1) : undefined };
  }

  /** Problems that keep the store from working: an unwritable root, a pool that does not answer. */
  async ready(): Promise<string[]> {
    const problems: string[] = [];
    const probe = this.tempPath('ready');
    try {
      await fs.writeFile(probe, '');
      await fs.rm(probe);
    } catch (error) {
      problems.push(`storage root not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const low = await lowSpace(this.root, this.options.minFreeBytes ?? 0);
    if (low) problems.push(low);
    const timeout = AbortSignal.timeout(READY_TIMEOUT_MS);
    const answer = await this.pool.run(null, { name: 'ping', signal: timeout }).catch(() => undefined);
    if (answer !== 'pong') problems.push('publish pool not answering');
    return problems;
  }

  /** Queue depth and utilisation of the publish pool, for metrics. */
  stats(): { queueSize: number; utilization: number; threads: number } {
    return { queueSize: this.pool.queueSize, utilization: this.pool.utilization, threads: this.pool.threads.length };
  }

  /** Waits for running publish tasks, stops the pool, then removes this process's temp files. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.pool.close();
    const own = `${process.pid}-`;
    const leftovers = (await fs.readdir(this.incoming).catch(() => [])).filter((name) => name.startsWith(own));
    await Promise.all(leftovers.map((name) => fs.rm(path.join(this.incoming, name), { force: true })));
  }

  private async entry(real: string, directory: string, filename: string): Promise<StoredEntry | undefined> {
    const stat = await fs.lstat(path.join(real, filename)).catch(() => undefined);
    return stat?.isFile() ? this.describe(directory, filename, stat) : undefined;
  }

  /** The file's description from its sidecar, rebuilt in the pool when missing or stale. */
  private async describe(directory: string, filename: string, stat: Stats): Promise<StoredEntry> {
    const key = cacheKey(directory, filename);
    let sidecar = this.sidecars.get(key, stat) ?? (await readSidecar(sidecarPath(this.root, directory, filename), stat));
    if (!sidecar) {
      const task: DescribeTask = { root: this.root, directory, filename, tempPath: this.tempPath('meta') };
      this.claim(task.tempPath);
      try {
        sidecar = (await this.pool.run(task, { name: 'describe' })) as Sidecar;
      } finally {
        this.release(task.tempPath);
      }
    }
    if (sidecar.ino === stat.ino && sidecar.size === stat.size) this.sidecars.set(key, stat, sidecar);
    return {
      directory,
      filename,
      size: stat.size,
      sha256: sidecar.sha256,
      contentType: contentTypeFor(extensionOf(filename)),
      metadata: sidecar.metadata,
      modified: stat.mtime,
    };
  }

  /** The follower's hash if it covered exactly the staged bytes. */
  private async followed(upload: LocalStaged): Promise<Followed | undefined> {
    const followed = await upload.follower?.result;
    return followed?.size === upload.size ? followed : undefined;
  }


  private claim(tempPath: string): void {
    this.inUse.add(path.basename(tempPath));
  }

  private release(tempPath: string): void {
    this.inUse.delete(path.basename(tempPath));
  }

  /**
   * Temp names start with the pid, so a process can clear its own leftovers on the way out and
   * the sweep of another process knows whose they are.
   */
  private tempPath(suffix: string): string {
    return path.join(this.incoming, `${process.pid}-${randomUUID()}.${suffix}`);
  }

  /** The directory's real path, undefined when absent; AppError when it resolves outside the root. */
  private async realDirectory(directory: string): Promise<string | undefined> {
    const found = await findDirectoryInside(this.root, directory);
    if (found && !found.ok) throw new AppError('INVALID_ARGUMENT', `invalid argument: ${found.problem}`);
    return found?.real;
  }

  private own(staged: StagedUpload): LocalStaged {
    if (!(staged instanceof LocalStaged)) throw new TypeError('staged upload does not belong to this store');
    return staged;
  }
}
