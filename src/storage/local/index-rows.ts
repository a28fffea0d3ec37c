import type { SQLInputValue } from 'node:sqlite';
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

/** A row read back is not one this code wrote: the file's bytes were changed behind its back. */
export class DamagedRow extends Error {
  constructor(what: string) {
    super(`the index holds a malformed ${what}`);
  }
}

/**
 * The tables. Keys compare as SQLite's BINARY collation does, byte by byte over UTF-8: one range
 * read serves a listing page in the API's byte order. `entries` holds the named tables of other
 * features (`[table, key] -> JSON`), written in the same transactions as the file records.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  directory TEXT NOT NULL, name TEXT NOT NULL,
  ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, sha256 TEXT, attributes TEXT,
  PRIMARY KEY (directory, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS directories (directory TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (tbl TEXT NOT NULL, key ANY NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
`;

/** The columns of a file record, in the order of the `files` table after its key. */
export function fileColumns(record: FileRecord): SQLInputValue[] {
  const attributes = record.attributes === undefined ? null : JSON.stringify(record.attributes);
  return [record.ino, record.size, record.mtimeMs, record.sha256 ?? null, attributes];
}

/** A `files` row back as a record; DamagedRow when its columns are not what fileColumns wrote. */
export function fileRecordOf(row: Record<string, unknown>): FileRecord {
  const { ino, size, mtime_ms: mtimeMs, sha256, attributes } = row;
  if (typeof ino !== 'number' || typeof size !== 'number' || typeof mtimeMs !== 'number') throw new DamagedRow('file record');
  if (sha256 !== null && typeof sha256 !== 'string') throw new DamagedRow('file record');
  const record: FileRecord = { ino, size, mtimeMs };
  if (typeof sha256 === 'string') record.sha256 = sha256;
  if (attributes !== null) record.attributes = parsed(attributes, 'file record') as Attributes;
  return record;
}

export function directoryRecordOf(row: Record<string, unknown>): DirectoryRecord {
  const record = parsed(row.record, 'directory record') as DirectoryRecord;
  if (typeof record.mtimeNs !== 'string' || typeof record.scannedAtMs !== 'number' || !Array.isArray(record.directories)) {
    throw new DamagedRow('directory record');
  }
  return record;
}

/** The JSON a column holds, an object or array; DamagedRow otherwise. */
export function parsed(value: unknown, what: string): unknown {
  if (typeof value !== 'string') throw new DamagedRow(what);
  try {
    const json = JSON.parse(value) as unknown;
    if (typeof json === 'object' && json !== null) return json;
  } catch {
    // Not JSON: bytes this code never wrote, reported below as damage.
  }
  throw new DamagedRow(what);
}
