import { createHash } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Attributes } from '../byte-store.ts';

/** What the index keeps of one stored file; `sha256` absent until its bytes were first hashed. */
export interface FileRecord {
  ino: number;
  size: number;
  mtimeMs: number;
  sha256?: string;
  attributes?: Attributes;
}

/** What the index knows of a directory's entries, and when it last read them. */
export interface DirectoryRecord {
  /** The directory's mtime in ns (a string: JSON has no bigint) when it was read. */
  mtimeNs: string;
  /** Wall-clock time the read started. */
  scannedAtMs: number;
  /** Its subdirectories, in byte order of their UTF-8 names. */
  directories: string[];
}

type FileKey = [string, string];

/**
 * Key of a directory in the index: a digest, so a key stays under LMDB's 1,978-byte limit
 * whatever the path (8 segments of 255 bytes), and the files of one directory are one range.
 */
function directoryKey(directory: string): string {
  let key = directoryKeys.get(directory);
  if (key === undefined) {
    if (directoryKeys.size >= DIRECTORY_KEYS_KEPT) directoryKeys.clear();
    key = createHash('sha256').update(directory).digest('hex').slice(0, 32);
    directoryKeys.set(directory, key);
  }
  return key;
}

/** Recent directories' keys: every read and write looks one up, and hashing costs more than the lookup. */
const directoryKeys = new Map<string, string>();
const DIRECTORY_KEYS_KEPT = 4096;

/**
 * The metadata of stored files in LMDB (lmdb-js): one memory-mapped B-tree, read without a
 * system call, written in batched transactions by its own thread, and safe for several processes
 * sharing one root. File keys are `[directory digest, name]`; ordered-binary encodes the name's
 * UTF-8 bytes, so one range read serves a listing page in the API's order.
 */
export class MetadataIndex {
  private constructor(
    private readonly root: RootDatabase,
    private readonly files: Database<FileRecord, FileKey>,
    private readonly directories: Database<DirectoryRecord, string>,
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  /**
   * Writes never reject: the index is rebuilt from the files wherever it falls behind, so a
   * failed write (a full disk) costs a later re-read, never a failed request. They go to
   * `onWriteError`.
   */
  static open(path: string, onWriteError: (error: unknown) => void = () => undefined): MetadataIndex {
    // Without event-turn batching: with it, a failed commit (a full disk) also rejects a promise
    // lmdb-js keeps to itself, an unhandled rejection that would end the process.
    const root = open({ path, maxDbs: 4, eventTurnBatching: false });
    const files = root.openDB<FileRecord, FileKey>({ name: 'files' });
    return new MetadataIndex(root, files, root.openDB<DirectoryRecord, string>({ name: 'directories' }), onWriteError);
  }

  file(directory: string, name: string): FileRecord | undefined {
    return this.files.get([directoryKey(directory), name]);
  }

  putFile(directory: string, name: string, record: FileRecord): Promise<boolean> {
    return this.settle(this.files.put([directoryKey(directory), name], record));
  }

  /**
   * What a read of a directory found, in one transaction: entries for `seen` names that have none
   * (a commit's entry is never overwritten), `gone` entries dropped, and the directory's record.
   */
  recordScan(directory: string, seen: string[], gone: string[], undescribed: FileRecord, record: DirectoryRecord): Promise<boolean> {
    const key = directoryKey(directory);
    return this.settle(
      this.root.transaction(() => {
        for (const name of seen) if (!this.files.doesExist([key, name])) void this.files.put([key, name], undescribed);
        for (const name of gone) void this.files.remove([key, name]);
        void this.directories.put(key, record);
      }),
    );
  }

  removeFile(directory: string, name: string): Promise<boolean> {
    return this.settle(this.files.remove([directoryKey(directory), name]));
  }

  /** Up to `limit` entries of a directory after `after`, in byte order of their names. */
  page(directory: string, after: string | undefined, limit: number): Array<{ name: string; record: FileRecord }> {
    const key = directoryKey(directory);
    const out: Array<{ name: string; record: FileRecord }> = [];
    const end = [`${key}\u0000`] as unknown as FileKey;
    const range = this.files.getRange({ start: [key, after ?? ''], end, limit: limit + 1 });
    for (const {
      key: [, name],
      value,
    } of range) {
      if (name === after) continue;
      out.push({ name, record: value });
      if (out.length === limit) break;
    }
    return out;
  }

  /** Every name the index holds for a directory. */
  names(directory: string): string[] {
    const key = directoryKey(directory);
    return [...this.files.getKeys({ start: [key, ''], end: [`${key}\u0000`] as unknown as FileKey })].map(([, name]) => name);
  }

  directory(directory: string): DirectoryRecord | undefined {
    return this.directories.get(directoryKey(directory));
  }

  /** True when the write was committed. */
  private async settle(write: Promise<unknown>): Promise<boolean> {
    try {
      await write;
      return true;
    } catch (error) {
      // lmdb-js gives the cause as a second promise; it is the one worth reporting.
      const cause = (error as { commitError?: Promise<unknown> }).commitError;
      this.onWriteError(
        cause
          ? await cause.then(
              () => error,
              (reason: unknown) => reason,
            )
          : error,
      );
      return false;
    }
  }

  close(): Promise<void> {
    return this.root.close();
  }
}
