import type { Stats } from 'node:fs';
import { AppError } from '../../errors.ts';
import type { Attributes, ObjectKey, StoredObject } from '../byte-store.ts';
import { insufficientStorage } from '../no-space.ts';
import type { CommitOutcome, FileVersion } from './byte.worker.ts';
import { byteOrder } from './directory-scan.ts';
import type { FileRecord } from './metadata-index.ts';

/** One version of a file: its inode, size and mtime. */
export const versionOf = ({ ino, size, mtimeMs }: { ino: number; size: number; mtimeMs: number }) => `${ino}-${size}-${mtimeMs}`;

/** True when the index entry describes the file as it is now. */
export const matches = (record: FileRecord | undefined, stat: Stats): record is FileRecord & { sha256: string } =>
  record?.sha256 !== undefined && record.ino === stat.ino && record.size === stat.size && record.mtimeMs === stat.mtimeMs;

export function objectOf(key: ObjectKey, version: FileVersion, attributes: Attributes | undefined): StoredObject {
  return {
    key: { directory: key.directory, name: key.name },
    size: version.size,
    sha256: version.sha256,
    modified: new Date(version.mtimeMs),
    version: versionOf(version),
    ...(attributes === undefined ? {} : { attributes }),
  };
}

/** An entry for a file seen but not yet hashed. */
export const UNDESCRIBED: FileRecord = { ino: 0, size: -1, mtimeMs: 0 };

/** A page from the directory's names as read, for when the index could not take them. */
export function pageOf(names: string[], after: string | undefined, limit: number): Array<{ name: string; record: FileRecord }> {
  const start = after === undefined ? 0 : names.findIndex((name) => byteOrder(name, after) > 0);
  if (start === -1) return [];
  return names.slice(start, start + limit).map((name) => ({ name, record: UNDESCRIBED }));
}

export function commitError(outcome: Extract<CommitOutcome, { ok: false }>): AppError {
  switch (outcome.error) {
    case 'EXISTS':
      return new AppError('FILE_EXISTS');
    case 'PATH':
      return new AppError('INVALID_ARGUMENT', `invalid argument: ${outcome.detail}`);
    case 'NO_SPACE':
      return insufficientStorage(outcome.detail);
  }
}
