import fs from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { isDamage } from '../../sqlite/damage.ts';
import { openIndexDatabase } from './index-database.ts';

/**
 * Why the index at `file` cannot be used, or undefined when it is sound (or does not exist yet).
 * SQLite's `quick_check` reads every page of every table and index (all but the matching of
 * indexes to their tables), and a damaged file is reported, never crashed on, so the check runs
 * in this process. Throws when the file cannot be read for another reason (I/O, permissions).
 */
export function checkIndex(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  let db: DatabaseSync | undefined;
  try {
    db = openIndexDatabase(file);
    const results = db
      .prepare('PRAGMA quick_check')
      .all()
      .map((row) => String(row.quick_check));
    if (results.length === 1 && results[0] === 'ok') return undefined;
    return `its check failed: ${results.slice(0, 3).join('; ')}`;
  } catch (error) {
    if (!isDamage(error)) throw error;
    return `reading it failed: ${(error as Error).message}`;
  } finally {
    closeQuietly(db);
  }
}

function closeQuietly(db: DatabaseSync | undefined): void {
  try {
    db?.close();
  } catch {
    // Closing a damaged file can fail its last checkpoint; what matters was answered above.
  }
}
