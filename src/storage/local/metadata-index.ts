import fs from 'node:fs';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { isDamage } from '../../sqlite/damage.ts';
import { openIndexDatabase } from './index-database.ts';
import { DamagedRow, directoryRecordOf, fileColumns, fileRecordOf, parsed, type DirectoryRecord, type FileRecord } from './index-rows.ts';
import { preparedStatement } from '../../sqlite/prepared-statement.ts';
import { eachInSavepoint, GroupCommit, type Outcome } from '../../sqlite/group-commit.ts';
import { writeTransaction } from '../../sqlite/write-transaction.ts';

export type { DirectoryRecord, FileRecord } from './index-rows.ts';

/** A key in a named table: rows of one table are ordered by key, numbers before strings. */
export type EntryKey = string | number;

/**
 * The writes of one atomic transaction (see MetadataIndex.atomically): file records, and rows of
 * named tables (other features' records, such as events written with the file they are about).
 */
export interface IndexTransaction {
  putFile(directory: string, name: string, record: FileRecord): void;
  removeFile(directory: string, name: string): void;
  /** Puts `value` (a JSON object) at `key` in `table`. */
  put(table: string, key: EntryKey, value: object): void;
  remove(table: string, key: EntryKey): void;
  /** The row at `key`, as this transaction sees it. */
  get(table: string, key: EntryKey): object | undefined;
  /** The highest key of `table` (the last of a sequence), as this transaction sees it. */
  lastKey(table: string): EntryKey | undefined;
}

export interface IndexEvents {
  /** A read or write failed for want of space or I/O, not for damage (the index catches up later). */
  onWriteError?: (error: unknown) => void;
  /** The index was found damaged (called once). */
  onDamage?: (error: unknown) => void;
}

/**
 * The metadata of stored files in SQLite (node:sqlite, built into Node): read with pread, never
 * through a memory map, so a file damaged or cut short behind its back is reported as
 * SQLITE_CORRUPT instead of ending the process; several processes share one root through its
 * WAL. Reads and writes never throw: the index is rebuilt from the files wherever it falls
 * behind, so a failed write (a full disk) costs a later re-read, never a failed request.
 */
export class MetadataIndex {
  /** Set once a read or a write found the index damaged: from then on it answers as if empty. */
  private damage: unknown;
  private readonly statements = new Map<string, StatementSync>();
  private readonly transaction: IndexTransaction;
  /** Writes asked for in one turn of the event loop share one transaction (sqlite/group-commit.ts). */
  private readonly group: GroupCommit<IndexTransaction>;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly ino: number,
    private readonly events: IndexEvents,
  ) {
    this.transaction = {
      putFile: (directory, name, record) =>
        void this.run('INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)', directory, name, ...fileColumns(record)),
      removeFile: (directory, name) => void this.run('DELETE FROM files WHERE directory = ? AND name = ?', directory, name),
      put: (table, key, value) => void this.run('INSERT OR REPLACE INTO entries VALUES (?, ?, ?)', table, key, JSON.stringify(value)),
      remove: (table, key) => void this.run('DELETE FROM entries WHERE tbl = ? AND key = ?', table, key),
      get: (table, key) => this.entryOf(table, key),
      lastKey: (table) =>
        (this.statement('SELECT max(key) AS key FROM entries WHERE tbl = ?').get(table)?.key ?? undefined) as EntryKey | undefined,
    };
    this.group = new GroupCommit((writes) => ({ outcomes: this.commitGroup(writes), synced: Promise.resolve() }));
  }

  /** Opens (creating) the index at `file`. Throws when it cannot: check it first (index-check.ts). */
  static open(file: string, events: IndexEvents = {}): MetadataIndex {
    const db = openIndexDatabase(file);
    return new MetadataIndex(db, fs.statSync(file).ino, events);
  }

  /** True once the index was found damaged. */
  get damaged(): boolean {
    return this.damage !== undefined;
  }

  file(directory: string, name: string): FileRecord | undefined {
    return this.read(() => {
      const row = this.statement('SELECT ino, size, mtime_ms, sha256, attributes FROM files WHERE directory = ? AND name = ?').get(
        directory,
        name,
      );
      return row && fileRecordOf(row);
    }, undefined);
  }

  /** Up to `limit` entries of a directory after `after`, in byte order of their names; undefined when the index is damaged. */
  page(directory: string, after: string | undefined, limit: number): Array<{ name: string; record: FileRecord }> | undefined {
    return this.read(() => {
      const sql = 'SELECT name, ino, size, mtime_ms, sha256, attributes FROM files WHERE directory = ? AND name > ? ORDER BY name LIMIT ?';
      return this.statement(sql)
        .all(directory, after ?? '', limit)
        .map((row) => ({ name: textOf(row.name), record: fileRecordOf(row) }));
    }, undefined);
  }

  /** Every name the index holds for a directory. */
  names(directory: string): string[] {
    return this.read(
      () =>
        this.statement('SELECT name FROM files WHERE directory = ?')
          .all(directory)
          .map((row) => textOf(row.name)),
      [],
    );
  }

  directory(directory: string): DirectoryRecord | undefined {
    return this.read(() => {
      const row = this.statement('SELECT record FROM directories WHERE directory = ?').get(directory);
      return row && directoryRecordOf(row);
    }, undefined);
  }

  /** The row at `key` of a named table. */
  entry(table: string, key: EntryKey): object | undefined {
    return this.read(() => this.entryOf(table, key), undefined);
  }

  /** Up to `limit` rows of a named table after `after`, in key order. */
  entries(table: string, after: EntryKey | undefined, limit: number): Array<{ key: EntryKey; value: object }> {
    return this.read(() => {
      const sql =
        after === undefined
          ? 'SELECT key, value FROM entries WHERE tbl = ? ORDER BY key LIMIT ?'
          : 'SELECT key, value FROM entries WHERE tbl = ? AND key > ? ORDER BY key LIMIT ?';
      const rows = after === undefined ? this.statement(sql).all(table, limit) : this.statement(sql).all(table, after, limit);
      return rows.map((row) => ({
        key: row.key as EntryKey,
        value: parsed(row.value, `row of ${table}`) as object,
      }));
    }, []);
  }

  putFile(directory: string, name: string, record: FileRecord): Promise<boolean> {
    return this.atomically((tx) => tx.putFile(directory, name, record));
  }

  removeFile(directory: string, name: string): Promise<boolean> {
    return this.atomically((tx) => tx.removeFile(directory, name));
  }

  /**
   * What a read of a directory found, in one transaction: entries for `seen` names that have none
   * (a commit's entry is never overwritten), `gone` entries dropped, and the directory's record.
   */
  recordScan(directory: string, seen: string[], gone: string[], undescribed: FileRecord, record: DirectoryRecord): Promise<boolean> {
    return this.atomically((tx) => {
      for (const name of seen)
        this.run('INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)', directory, name, ...fileColumns(undescribed));
      for (const name of gone) tx.removeFile(directory, name);
      this.run('INSERT OR REPLACE INTO directories VALUES (?, ?)', directory, JSON.stringify(record));
    });
  }

  /**
   * Runs `write` in one transaction: all of its writes are committed, or none (a write that
   * throws rolls them all back). Resolves true when committed. `write` runs synchronously, alone
   * in this process and, through SQLite's write lock, among the processes sharing the root; the
   * writes asked for in one turn of the event loop share a transaction, each in a savepoint.
   */
  atomically(write: (tx: IndexTransaction) => void): Promise<boolean> {
    if (this.damage !== undefined) return Promise.resolve(false);
    return this.group.add(write).then(
      () => true,
      (error: unknown) => {
        this.failed(error);
        return false;
      },
    );
  }

  /** One group's writes in one transaction; damage met by any of them undoes the whole group. */
  private commitGroup(writes: Array<(tx: IndexTransaction) => unknown>): Outcome[] {
    if (this.damage !== undefined) throw this.damage;
    return writeTransaction(this.db, () =>
      eachInSavepoint(
        (sql) => this.db.exec(sql),
        writes.map((write) => () => write(this.transaction)),
        (error) => error instanceof DamagedRow || isDamage(error),
      ),
    );
  }

  /** True when `file` is still the file this index has open (not replaced by another process). */
  async isFileAt(file: string): Promise<boolean> {
    const there = await fs.promises.stat(file).catch(() => undefined);
    return there?.ino === this.ino;
  }

  async close(): Promise<void> {
    await this.group.settle();
    try {
      this.db.close();
    } catch (error) {
      // Closing a damaged index can fail its last checkpoint: it is set aside anyway.
      if (this.damage === undefined) this.failed(error);
    }
  }

  private entryOf(table: string, key: EntryKey): object | undefined {
    const row = this.statement('SELECT value FROM entries WHERE tbl = ? AND key = ?').get(table, key);
    return row && (parsed(row.value, `row of ${table}`) as object);
  }

  /** `fallback` when the index is damaged, or found so now, or the read failed. */
  private read<T>(lookup: () => T, fallback: T): T {
    if (this.damage !== undefined) return fallback;
    try {
      return lookup();
    } catch (error) {
      this.failed(error);
      return fallback;
    }
  }

  private run(sql: string, ...values: SQLInputValue[]): void {
    this.statement(sql).run(...values);
  }

  private statement(sql: string): StatementSync {
    return preparedStatement(this.db, this.statements, sql);
  }

  private failed(error: unknown): void {
    if (!(error instanceof DamagedRow) && !isDamage(error)) {
      this.events.onWriteError?.(error);
      return;
    }
    if (this.damage !== undefined) return;
    this.damage = error;
    this.events.onDamage?.(error);
  }
}

function textOf(value: unknown): string {
  if (typeof value !== 'string') throw new DamagedRow('name');
  return value;
}
