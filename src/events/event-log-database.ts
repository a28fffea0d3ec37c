import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { closeQuietly, DAMAGE_VISIBLE_PRAGMAS, isDamage } from '../sqlite/damage.ts';
import { WalSync } from './wal-sync.ts';
import { preparedStatement } from '../sqlite/prepared-statement.ts';
import { writeTransaction } from '../sqlite/write-transaction.ts';

/** How long a write waits for another process's write to the same log (SQLite's busy timeout). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * The tables. `events.seq` is AUTOINCREMENT: a number is never given twice, even once every event
 * was pruned. A pending delivery is due at `next_at` (a leased one at its lease's end); deliveries
 * of one file to one hook go in `seq` order (the queue index). `meta.value` has no declared type:
 * any other (ANY included) would turn an instance name such as '00012345' into a number.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intents (id TEXT PRIMARY KEY, intent TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER NOT NULL, hook TEXT NOT NULL, file TEXT NOT NULL, state TEXT NOT NULL, next_at REAL NOT NULL,
  attempts INTEGER NOT NULL, first_at REAL NOT NULL, last_error TEXT, lease TEXT,
  PRIMARY KEY (seq, hook)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_at, file) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (hook, file, seq) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS created (file TEXT PRIMARY KEY, version TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('pending', 0), ('failed', 0);
`;

/**
 * The event log's SQLite file, opened as the metadata index is (index-database.ts: pread, never a
 * memory map, so damage is SQLITE_CORRUPT, not a crash; a cache of one page, so damage written
 * behind its back is met by the next read; WAL: the processes of a host share it). Commits are
 * `synchronous = NORMAL` (they survive the process); intents and events are then put on the disk
 * by `synced()` (they survive a power loss: events, unlike the index, cannot be rebuilt from the
 * files) in a thread, since an fsync inside the commit would stop the event loop. The deliveries'
 * bookkeeping (leases, outcomes) is not synced of its own: after a power loss a delivery is at
 * worst sent again, which at-least-once allows.
 */
export class EventLogDatabase {
  private readonly statements = new Map<string, StatementSync>();
  private readonly walSync: WalSync;

  private constructor(
    private readonly db: DatabaseSync,
    /** The file's inode: another process that set it aside and started anew is noticed by it. */
    readonly ino: number,
    /** Names this log's events apart from a fresh log's: a receiver never takes a new event for one it has seen. */
    readonly instance: string,
    file: string,
  ) {
    this.walSync = new WalSync(`${file}-wal`);
  }

  static open(file: string): EventLogDatabase {
    const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, defensive: true });
    try {
      db.exec(DAMAGE_VISIBLE_PRAGMAS);
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA}`);
      db.prepare('INSERT OR IGNORE INTO meta VALUES (?, ?)').run('instance', randomBytes(4).toString('hex'));
      const instance = db.prepare("SELECT value FROM meta WHERE key = 'instance'").get()?.value;
      db.exec('COMMIT');
      if (typeof instance !== 'string' || !/^[0-9a-f]{8}$/.test(instance))
        throw new DamagedLog('its instance name is not one this code wrote');
      return new EventLogDatabase(db, fs.statSync(file).ino, instance, file);
    } catch (error) {
      closeQuietly(db);
      throw error;
    }
  }

  /** Why the log at `file` cannot be used (SQLite's quick_check), or undefined when it is sound or absent. */
  static problem(file: string): string | undefined {
    if (!fs.existsSync(file)) return undefined;
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
      db.exec('PRAGMA mmap_size = 0');
      const results = db
        .prepare('PRAGMA quick_check')
        .all()
        .map((row) => String(row.quick_check));
      return results.length === 1 && results[0] === 'ok' ? undefined : `its check failed: ${results.slice(0, 3).join('; ')}`;
    } catch (error) {
      if (!isDamage(error)) throw error;
      return `reading it failed: ${(error as Error).message}`;
    } finally {
      closeQuietly(db);
    }
  }

  run(sql: string, ...values: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const { changes, lastInsertRowid } = this.statement(sql).run(...values);
    return { changes: Number(changes), lastInsertRowid: Number(lastInsertRowid) };
  }

  get(sql: string, ...values: SQLInputValue[]): Record<string, unknown> | undefined {
    return this.statement(sql).get(...values);
  }

  all(sql: string, ...values: SQLInputValue[]): Array<Record<string, unknown>> {
    return this.statement(sql).all(...values);
  }

  /** Resolves once every commit made so far is on the disk. */
  synced(): Promise<void> {
    return this.walSync.sync();
  }

  /** `write` in one transaction, taking the write lock first (sqlite/write-transaction.ts). */
  transaction<T>(write: () => T): T {
    return writeTransaction(this.db, write);
  }

  /**
   * `act` while holding the file's write lock when it can still be taken (a damaged file may not
   * let it be): the processes of the host that meet one damage set it aside one after the other.
   */
  whileLocked(act: () => void): void {
    let locked = false;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      locked = true;
    } catch {
      // The lock could not be taken on this file: act without it.
    }
    try {
      act();
    } finally {
      if (locked) rollbackQuietly(this.db);
    }
  }

  close(): void {
    closeQuietly(this.db);
    void this.walSync.close();
  }

  private statement(sql: string): StatementSync {
    return preparedStatement(this.db, this.statements, sql);
  }
}

/** A row read back is not one this code wrote: the file was changed behind its back. */
export class DamagedLog extends Error {}

/** SQLite's report of a damaged file, or a row this code never wrote. */
export function isLogDamage(error: unknown): boolean {
  return error instanceof DamagedLog || isDamage(error);
}

function rollbackQuietly(db: DatabaseSync): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // Nothing was written under the lock; the file is set aside or given up anyway.
  }
}
