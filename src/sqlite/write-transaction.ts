import type { DatabaseSync } from 'node:sqlite';

/**
 * `write` in one transaction, taking the write lock first (BEGIN IMMEDIATE: no deadlock between
 * processes): committed when it returns, rolled back when it throws.
 */
export function writeTransaction<T>(db: DatabaseSync, write: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = write();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
