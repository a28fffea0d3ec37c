import type { Stats } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { Attributes, ObjectKey } from '../byte-store.ts';
import type { FileRecord } from './metadata-index.ts';
import { matches } from './records.ts';

type Described = FileRecord & { sha256: string; attributes: Attributes };

/** Versions remembered (a few hundred bytes each); the least recently read go first. */
const REMEMBERED = 10_000;

/**
 * Index entries of the file versions read or stored lately, so that a download of a file read
 * before costs no index query. An entry counts only for the version it describes (inode, size and
 * mtime of the opened file, as the index's own entries do), and only once it has both its sha256
 * and its attributes: from then on nothing about that version changes (files are never rewritten
 * in place; `annotate` fills only attributes that are missing). A version replaced, by any
 * process, no longer matches, and the index is read again.
 */
export class DescribedVersions {
  private readonly byName = new LRUCache<string, Described>({ max: REMEMBERED });

  /** The entry of exactly this version of the file, if remembered. */
  of(key: ObjectKey, stat: Stats): Described | undefined {
    const known = this.byName.get(nameOf(key));
    return known && matches(known, stat) ? known : undefined;
  }

  remember(key: ObjectKey, record: FileRecord): void {
    if (record.sha256 !== undefined && record.attributes !== undefined) this.byName.set(nameOf(key), record as Described);
  }

  forget(key: ObjectKey): void {
    this.byName.delete(nameOf(key));
  }
}

const nameOf = (key: ObjectKey) => `${key.directory}\0${key.name}`;
