import { createHash } from 'node:crypto';
import fs from 'node:fs';
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
  /** The directory's inode: another directory swapped in under its name is read anew. */
  ino?: string;
  /** Wall-clock time the read started. */
  scannedAtMs: number;
  /** Its subdirectories, in byte order of their UTF-8 names. */
  directories: string[];
}

type FileKey = [string, string];

/** LMDB's codes for a file that is not a sound index (lmdb.h): a write meeting one means damage, not a full disk. */
const DAMAGE_CODES = new Set([
  -30793 /* MDB_INVALID */, -30795 /* MDB_PANIC */, -30796 /* MDB_CORRUPTED */, -30797 /* MDB_PAGE_NOTFOUND */,
]);

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
  /** Set once a read or a write found the index damaged: from then on nothing touches its map. */
  private damage: unknown;
  /** The data file's size when last seen: LMDB's file only grows, so a smaller one was cut. */
  private knownSize: number;

  private constructor(
    private readonly root: RootDatabase,
    private readonly files: Database<FileRecord, FileKey>,
    private readonly directories: Database<DirectoryRecord, string>,
    private readonly dataFile: number,
    private readonly events: IndexEvents,
  ) {
    this.knownSize = fs.fstatSync(dataFile).size;
  }

  /**
   * Reads and writes never throw: the index is rebuilt from the files wherever it falls behind,
   * so a failed write (a full disk) costs a later re-read, never a failed request. A failed
   * write goes to `onWriteError`; the first read or write that finds the index damaged goes to
   * `onDamage`, and the index then answers as if empty. Open only a file that passed
   * checkIndex (index-check.ts): LMDB trusts its file, and a damaged one can crash the reader.
   */
  static open(path: string, events: IndexEvents = {}): MetadataIndex {
    // Without event-turn batching: with it, a failed commit (a full disk) also rejects a promise
    // lmdb-js keeps to itself, an unhandled rejection that would end the process.
    const root = open({ path, maxDbs: 4, eventTurnBatching: false });
    const files = root.openDB<FileRecord, FileKey>({ name: 'files' });
    const directories = root.openDB<DirectoryRecord, string>({ name: 'directories' });
    return new MetadataIndex(root, files, directories, fs.openSync(path, 'r'), events);
  }

  /** True once the index was found damaged. */
  get damaged(): boolean {
    return this.damage !== undefined;
  }

  file(directory: string, name: string): FileRecord | undefined {
    return this.read(() => this.files.get([directoryKey(directory), name]), undefined);
  }

  putFile(directory: string, name: string, record: FileRecord): Promise<boolean> {
    return this.write(() => this.files.put([directoryKey(directory), name], record));
  }

  /**
   * What a read of a directory found, in one transaction: entries for `seen` names that have none
   * (a commit's entry is never overwritten), `gone` entries dropped, and the directory's record.
   */
  recordScan(directory: string, seen: string[], gone: string[], undescribed: FileRecord, record: DirectoryRecord): Promise<boolean> {
    const key = directoryKey(directory);
    return this.write(() =>
      this.root.transaction(() => {
        for (const name of seen) if (!this.files.doesExist([key, name])) void this.files.put([key, name], undescribed);
        for (const name of gone) void this.files.remove([key, name]);
        void this.directories.put(key, record);
      }),
    );
  }

  removeFile(directory: string, name: string): Promise<boolean> {
    return this.write(() => this.files.remove([directoryKey(directory), name]));
  }

  /** Up to `limit` entries of a directory after `after`, in byte order of their names; undefined when the index is damaged. */
  page(directory: string, after: string | undefined, limit: number): Array<{ name: string; record: FileRecord }> | undefined {
    return this.read(() => this.pageOf(directory, after, limit), undefined);
  }

  private pageOf(directory: string, after: string | undefined, limit: number): Array<{ name: string; record: FileRecord }> {
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
    const range = { start: [key, ''] as FileKey, end: [`${key}\u0000`] as unknown as FileKey };
    return this.read(() => [...this.files.getKeys(range)].map(([, name]) => name), []);
  }

  directory(directory: string): DirectoryRecord | undefined {
    return this.read(() => this.directories.get(directoryKey(directory)), undefined);
  }

  /** True when `file` is still the file this index has open (not replaced by another process). */
  async isFileAt(file: string): Promise<boolean> {
    const there = await fs.promises.stat(file).catch(() => undefined);
    return there?.ino === fs.fstatSync(this.dataFile).ino;
  }

  /** `fallback` when the index is damaged, or found so now. */
  private read<T>(lookup: () => T, fallback: T): T {
    if (!this.intact()) return fallback;
    try {
      return lookup();
    } catch (error) {
      this.found(error);
      return fallback;
    }
  }

  /** True when the write was committed. */
  private async write(put: () => Promise<unknown>): Promise<boolean> {
    if (!this.intact()) return false;
    try {
      await put();
      return true;
    } catch (error) {
      // lmdb-js gives the cause as a second promise; it is the one worth reporting.
      const commitError = (error as { commitError?: Promise<unknown> }).commitError;
      const cause = commitError
        ? await commitError.then(
            () => error,
            (reason: unknown) => reason,
          )
        : error;
      if (DAMAGE_CODES.has((cause as { code?: unknown }).code as number)) this.found(cause);
      else this.events.onWriteError?.(cause);
      return false;
    }
  }

  /**
   * False when the index is known damaged, or its file was cut shorter than it was (its pages
   * past the new end would be read through the map, a SIGBUS that no catch can stop).
   */
  private intact(): boolean {
    if (this.damage !== undefined) return false;
    const size = fs.fstatSync(this.dataFile).size;
    if (size < this.knownSize) {
      this.found(new Error(`the index file was cut from ${this.knownSize} to ${size} bytes`));
      return false;
    }
    this.knownSize = size;
    return true;
  }

  private found(error: unknown): void {
    if (this.damage !== undefined) return;
    this.damage = error;
    this.events.onDamage?.(error);
  }

  async close(): Promise<void> {
    fs.closeSync(this.dataFile);
    // A damaged index is only let go: closing would commit through the damaged map.
    if (this.damage === undefined) await this.root.close();
  }
}

export interface IndexEvents {
  /** A write failed for want of space or I/O (the index catches up later). */
  onWriteError?: (error: unknown) => void;
  /** The index was found damaged (called once). */
  onDamage?: (error: unknown) => void;
}
