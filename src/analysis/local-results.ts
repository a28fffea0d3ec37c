import { createHash, randomUUID } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { ByteStore, ObjectKey } from '../storage/byte-store.ts';
import type { AnalysisRecord } from './analysis-record.ts';
import type { AnalysisResults } from './analysis-results.ts';

/**
 * Analysis results on the local disk, in the store's private area `.analysis` (unreachable by the
 * media API): `<h>.json` and `<h>.dat`, h the SHA-256 of the file's path. Kept apart from the
 * metadata index so that index stays small and its format its own.
 */
export class LocalResults implements AnalysisResults {
  /** Per file: where its results are, and its record as last read with the identity it had then. */
  private readonly known = new LRUCache<string, KnownRecord>({ max: KNOWN_RECORDS });

  private constructor(private readonly directory: string) {}

  static async create(store: Pick<ByteStore, 'privateDirectory'>): Promise<LocalResults> {
    const directory = await store.privateDirectory('analysis');
    await removeLeftovers(directory);
    return new LocalResults(directory);
  }

  async workFile(): Promise<string> {
    return path.join(this.directory, `work-${randomUUID()}.dat`);
  }

  async save(key: ObjectKey, record: AnalysisRecord, peaksFile?: string): Promise<void> {
    const base = this.base(key);
    if (peaksFile) await fs.rename(peaksFile, `${base}.dat`);
    else await fs.rm(`${base}.dat`, { force: true });
    // Written whole under another name, then renamed: a reader never sees half a record.
    const partial = `${base}.${randomUUID()}.partial`;
    await fs.writeFile(partial, JSON.stringify(record));
    await fs.rename(partial, `${base}.json`);
  }

  /**
   * Every download asks for its file's record: read again only when the record file is no longer
   * the one read last (a save renames a new file over it), so an unchanged record costs one stat,
   * in line (a small private directory whose entries stay cached), instead of a read through the
   * thread pool. A record replaced or removed by any process is seen at the next call.
   */
  async record(key: ObjectKey): Promise<AnalysisRecord | undefined> {
    const id = `${key.directory}\0${key.name}`;
    let known = this.known.get(id);
    if (!known) this.known.set(id, (known = { file: `${this.base(key)}.json` }));
    const seen = statSync(known.file, { throwIfNoEntry: false });
    if (!seen) return undefined;
    if (known.read && sameFile(known.read.seen, seen)) return known.read.record;
    try {
      // Read after the stat: what is read is at least as new as the identity it is kept under.
      const record = JSON.parse(await fs.readFile(known.file, 'utf8')) as AnalysisRecord;
      known.read = { seen, record };
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async peaks(key: ObjectKey): Promise<Readable | undefined> {
    const handle = await fs.open(`${this.base(key)}.dat`, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return handle?.createReadStream({ highWaterMark: 256 * 1024 });
  }

  async remove(key: ObjectKey): Promise<void> {
    const base = this.base(key);
    await Promise.all([fs.rm(`${base}.json`, { force: true }), fs.rm(`${base}.dat`, { force: true })]);
  }

  private base(key: ObjectKey): string {
    const name = createHash('sha256').update(`${key.directory}\0${key.name}`).digest('hex');
    return path.join(this.directory, name);
  }
}

/** Files whose record is kept in memory (a few hundred bytes each); the least recently asked for go first. */
const KNOWN_RECORDS = 10_000;

interface KnownRecord {
  file: string;
  read?: { seen: Stats; record: AnalysisRecord };
}

/** The same file, unchanged: a rename, a rewrite or a new file with a reused inode changes one of these. */
const sameFile = (a: Stats, b: Stats) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/** Leftovers are work files of analyses a killed process never finished; old enough to be no one's. */
const LEFTOVER_AGE_MS = 60 * 60_000;

async function removeLeftovers(directory: string): Promise<void> {
  for (const name of await fs.readdir(directory)) {
    if (!name.startsWith('work-') && !name.endsWith('.partial')) continue;
    const file = path.join(directory, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > LEFTOVER_AGE_MS) await fs.rm(file, { force: true });
  }
}
