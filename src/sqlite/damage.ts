/** SQLite's primary result codes for a file that is not a sound database (sqlite3.h). */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/**
 * Pragmas that let a damaged file be seen, never crashed on (index-database.ts says why each):
 * pread instead of a memory map, a cache of one page so every read meets the file as it is now,
 * cells checked. `cache_spill = OFF` keeps a transaction's changed pages in memory until its
 * commit writes each once: a one-page cache would otherwise spill them to the WAL statement by
 * statement, the same page several times.
 */
export const DAMAGE_VISIBLE_PRAGMAS = 'PRAGMA mmap_size = 0; PRAGMA cache_size = 1; PRAGMA cache_spill = OFF; PRAGMA cell_size_check = ON';

/** True for SQLite's report of a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB and their extended codes). */
export function isDamage(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(code & 0xff);
}

/** Closes `db` and ignores a failure: closing a damaged file can fail its last checkpoint. */
export function closeQuietly(db: { close(): void } | undefined): void {
  try {
    db?.close();
  } catch {
    // Its callers set the file aside or have already judged it: nothing in it is left to save.
  }
}
