import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import type { MediaThreads } from '../../media-threads.ts';
import { ByteTasks } from './byte-tasks.ts';
import { listDirectory } from './directory-listing.ts';
import type { ByteSource, ByteStore, StagedBytes } from '../byte-store.ts';
import type { PoolStats } from '../../worker-pool.ts';
import type { Attributes, ListOptions, ObjectKey, ObjectPage, OpenedObject, StoredObject } from '../byte-store.ts';
import type { CommitOutcome, CommitTask, FileVersion } from './byte.worker.ts';
import { findDirectoryInside, holdDirectoryInside } from './directory-inside.ts';
import { rootProblems } from './root-problems.ts';
import { rebuildIndex } from './index-rebuild.ts';
import { IndexKeeper } from './index-keeper.ts';
import type { MetadataIndex } from './metadata-index.ts';
import { DescribedVersions } from './described-versions.ts';
import { commitError, matches, objectOf, versionOf } from './records.ts';
import { StagingPart } from '../staging/staging-part.ts';
import { INCOMING_DIR, StagingArea } from '../staging/staging-area.ts';
import { privateArea } from '../private-area.ts';
import { openInside, type OpenedFile } from './opened-file.ts';

export { INCOMING_DIR } from '../staging/staging-area.ts';
/** The metadata index (a SQLite file) lives here, as unreachable by the API as `.incoming`. */
export const INDEX_DIR = '.index';

const READY_TIMEOUT_MS = 2000;

export interface LocalStoreOptions {
  root: string;
  /** The service's media threads; without them the store starts threads of its own, `poolSize` of them at most. */
  threads?: MediaThreads;
  poolSize: number;
  fsync: boolean;
  sweepIntervalMs: number;
  tempMaxAgeMs: number;
  /** Below this much free space on the root's filesystem, ready() reports a problem. */
  minFreeBytes?: number;
  onSweepError?: (error: unknown) => void;
  /** A write to the metadata index failed (it is caught up later from the files). */
  onIndexError?: (error: unknown) => void;
  /** The metadata index failed its check: set aside at `keptAt` and rebuilt from the files. */
  onIndexDamaged?: (problem: string, keptAt: string) => void;
}

/**
 * ByteStore on the local disk: staging in `<root>/.incoming`, commits on the media threads with
 * link() (never a replace), one file per upload, its metadata in a SQLite index `<root>/.index`.
 */
export class LocalStore extends StagingPart implements ByteStore {
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly described = new DescribedVersions();

  private constructor(
    readonly root: string,
    staging: StagingArea,
    private readonly keeper: IndexKeeper,
    private readonly tasks: ByteTasks,
    private readonly options: LocalStoreOptions,
  ) {
    super(staging);
    const sweep = () => void this.sweep().catch((error) => options.onSweepError?.(error));
    this.sweepTimer = setInterval(sweep, options.sweepIntervalMs).unref();
  }

  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    await fs.mkdir(options.root, { recursive: true });
    const root = await fs.realpath(options.root);
    const keeper = await IndexKeeper.open(path.join(root, INDEX_DIR), options);
    const tasks = new ByteTasks(options.threads, options.poolSize);
    // Large uploads are flushed as they arrive: the commit's fsync then finds little left to write.
    const staging = await StagingArea.open(path.join(root, INCOMING_DIR), { flush: options.fsync });
    const store = new LocalStore(root, staging, keeper, tasks, options);
    keeper.rebuildWith(() => rebuildIndex(root, keeper, (key) => store.head(key)));
    await store.sweep(true);
    return store;
  }

  private get index(): MetadataIndex {
    return this.keeper.index;
  }

  /** Resolves when no repair of the metadata index is under way. */
  indexSettled(): Promise<void> {
    return this.keeper.settled();
  }

  /** Removes abandoned temp files (see StagingArea.sweep); at start, every leftover of a dead process. */
  sweep(atStart = false): Promise<number> {
    return this.staging.sweep(this.options.tempMaxAgeMs, atStart);
  }

  /** `<root>/.<area>`: as unreachable by the API as `.incoming` (no name starts with a dot). */
  async privateDirectory(area: string): Promise<string> {
    return privateArea(this.root, area);
  }

  async commit(staged: StagedBytes, key: ObjectKey, attributes: Attributes): Promise<StoredObject> {
    const held = this.staging.take(staged) ?? (await this.staging.adopt(staged.id).then((found) => found && this.staging.take(found)));
    if (!held) throw new Error(`staged upload ${staged.id} is gone`);
    try {
      const task: CommitTask = {
        root: this.root,
        tempPath: held.file,
        bytes: held.bytes,
        directory: key.directory,
        name: key.name,
        fsync: this.options.fsync,
        followed: await this.staging.digest(held),
      };
      const bytes = held.bytes;
      // Zero-copy hand-off when the bytes own their whole ArrayBuffer; otherwise structured clone.
      const transferList =
        bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : undefined;
      const outcome = await this.tasks.run<CommitOutcome>(task, { transferList });
      if (!outcome.ok) throw commitError(outcome);
      const { ok: _ok, ...version } = outcome;
      // The file is stored; its entry follows. Should the process die in between, the file is
      // indexed when a listing or a read first sees it.
      await this.index.putFile(key.directory, key.name, { ...version, attributes });
      this.described.remember(key, { ...version, attributes });
      return objectOf(key, version, attributes);
    } finally {
      this.staging.release(held);
    }
  }

  async head(key: ObjectKey): Promise<StoredObject | undefined> {
    const file = await this.openFile(key);
    if (!file) return undefined;
    try {
      return await this.describe(key, file);
    } finally {
      await file.release();
    }
  }

  async open(key: ObjectKey): Promise<OpenedObject | undefined> {
    const file = await this.openFile(key);
    if (!file) return undefined;
    try {
      const object = await this.describe(key, file);
      return { ...object, read: async (range) => file.read(range), release: () => file.release() };
    } catch (error) {
      await file.release();
      throw error;
    }
  }

  async storedSource(key: ObjectKey): Promise<ByteSource | undefined> {
    const found = await this.stat(key);
    return found && { file: found.file };
  }

  async annotate(key: ObjectKey, version: string, attributes: Attributes): Promise<void> {
    const record = this.index.file(key.directory, key.name);
    if (record?.sha256 === undefined || versionOf(record) !== version) return;
    await this.index.putFile(key.directory, key.name, { ...record, attributes });
    this.described.remember(key, { ...record, attributes });
  }

  async list(directory: string, options: ListOptions): Promise<ObjectPage | undefined> {
    const real = await this.realDirectory(directory);
    if (!real) return undefined;
    return listDirectory({ index: this.index, head: (key) => this.head(key) }, real, directory, options);
  }

  async remove(key: ObjectKey): Promise<boolean> {
    const found = await this.stat(key);
    if (!found) return false;
    // Through the directory held open and checked: a swap of it for a symlink cannot aim the unlink outside.
    const directory = holdDirectoryInside(this.root, path.dirname(found.file));
    if (!directory.ok) throw new AppError('INVALID_ARGUMENT', `invalid argument: ${directory.problem}`);
    try {
      await fs.unlink(path.join(directory.held.through, key.name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EPERM') return false;
      throw error;
    } finally {
      directory.held.close();
    }
    this.described.forget(key);
    await this.index.removeFile(key.directory, key.name);
    return true;
  }

  /** Problems that keep the store from working: an unwritable or nearly full root, a pool that does not answer. */
  async ready(): Promise<string[]> {
    const problems = await rootProblems(this.root, this.staging, this.options.minFreeBytes ?? 0);
    if (!(await this.tasks.answers(READY_TIMEOUT_MS))) problems.push('publish pool not answering');
    problems.push(...this.keeper.problems());
    return problems;
  }

  stats(): PoolStats {
    return this.tasks.stats();
  }

  /** Waits for its running tasks (stopping its threads when they are its own), stops the index, then removes this store's temp files. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.keeper.stop();
    await this.tasks.close();
    await this.staging.close();
    await this.keeper.close();
  }

  /** A regular file at `key` (never a symlink, wherever it points) and its stat. */
  private async stat(key: ObjectKey): Promise<{ file: string; stat: Stats } | undefined> {
    const directory = await this.realDirectory(key.directory);
    if (!directory) return undefined;
    const file = path.join(directory, key.name);
    const stat = await fs.lstat(file).catch(() => undefined);
    return stat?.isFile() ? { file, stat } : undefined;
  }

  /** The regular file at `key`, opened (never through a symlink at its name); AppError when it resolves outside the root. */
  private async openFile(key: ObjectKey): Promise<OpenedFile | undefined> {
    const file = await openInside(this.root, key.directory, key.name);
    if (file === 'outside') throw new AppError('INVALID_ARGUMENT', 'invalid argument: directory resolves outside the storage root');
    if (file?.placeChecked) return file;
    // No file there (a directory that resolves outside is still 400, not 404), or no /proc to
    // tell where the opened one is: the directory's real path decides.
    try {
      await this.realDirectory(key.directory);
    } catch (error) {
      await file?.release();
      throw error;
    }
    return file;
  }

  /** The opened file from its index entry; one without a matching entry is hashed (through its descriptor) and indexed now. */
  private async describe(key: ObjectKey, file: OpenedFile): Promise<StoredObject> {
    const known = this.described.of(key, file.stat);
    if (known) return objectOf(key, known, known.attributes);
    const record = this.index.file(key.directory, key.name);
    if (matches(record, file.stat)) {
      this.described.remember(key, record);
      return objectOf(key, record, record.attributes);
    }
    const version = await this.tasks.run<FileVersion>(file.through, { name: 'hash' });
    await this.index.putFile(key.directory, key.name, version);
    return objectOf(key, version, undefined);
  }

  /** The directory's real path, undefined when absent or unusable; AppError when it resolves outside the root. */
  private async realDirectory(directory: string): Promise<string | undefined> {
    const found = await findDirectoryInside(this.root, directory);
    if (found && !found.ok) throw new AppError('INVALID_ARGUMENT', `invalid argument: ${found.problem}`);
    return found?.real;
  }
}
