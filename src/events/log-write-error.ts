import { insufficientStorage, noSpaceCode } from '../storage/no-space.ts';

/** SQLite's primary result code for a write that met a full disk or quota (sqlite3.h). */
const SQLITE_FULL = 13;

/**
 * A failed write to the event log as the API answers it: a full disk is code 507 naming the
 * cause, as it is for the file itself; anything else stays as it is.
 */
export function logWriteError(error: unknown): unknown {
  const errcode = (error as { errcode?: unknown }).errcode;
  const code = noSpaceCode(error) ?? (typeof errcode === 'number' && (errcode & 0xff) === SQLITE_FULL ? 'ENOSPC' : undefined);
  return code ? insufficientStorage(code) : error;
}
