import { DatabaseSync } from 'node:sqlite';
import { SCHEMA } from './index-rows.ts';
import { DAMAGE_VISIBLE_PRAGMAS } from '../../sqlite/damage.ts';

/** How long a write waits for another process's write to the same index (SQLite's busy timeout). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating) the SQLite index at `file`, set up so that damage is reported, never crashed on
 * (DAMAGE_VISIBLE_PRAGMAS):
 * - `mmap_size = 0`: pages are read with pread, so a page cut off or overwritten is an error code,
 *   not a SIGBUS or SIGSEGV in this process (a memory map is what made the LMDB index crash);
 * - `cache_size = 1` page: every read sees the file as it is now, so damage written behind the
 *   process's back is found by the first read that meets it (the kernel's page cache keeps the
 *   reads cheap), instead of being hidden by pages cached from before;
 * - `cell_size_check`: malformed cells in a page are reported rather than followed;
 * - `cache_spill = OFF`: a transaction's changed pages are written once, at its commit;
 * - defensive mode: no SQL can write the schema or the file's bytes directly;
 * - WAL: several processes share the root, readers never wait for the writer; `synchronous =
 *   NORMAL` flushes at checkpoints only, since the index is rebuilt from the files if it falls behind.
 */
export function openIndexDatabase(file: string): DatabaseSync {
  const db = new DatabaseSync(file, {
    timeout: BUSY_TIMEOUT_MS,
    defensive: true,
  });
  try {
    db.exec(DAMAGE_VISIBLE_PRAGMAS);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
