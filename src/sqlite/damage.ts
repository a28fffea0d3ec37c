/** SQLite's primary result codes for a file that is not a sound database (sqlite3.h). */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** True for SQLite's report of a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB and their extended codes). */
export function isDamage(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(code & 0xff);
}
