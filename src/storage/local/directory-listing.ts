import fs from 'node:fs/promises';
import path from 'node:path';
import type { ListOptions, ObjectKey, ObjectPage, StoredObject } from '../byte-store.ts';
import { filesOnDisk, reconcileDirectory } from './directory-scan.ts';
import type { FileRecord, MetadataIndex } from './metadata-index.ts';
import { matches, objectOf, pageOf } from './records.ts';

export interface ListingDeps {
  index: MetadataIndex;
  /** Describes a file anew (its index entry no longer matches it). */
  head: (key: ObjectKey) => Promise<StoredObject | undefined>;
}

/**
 * One page of the directory whose real path is `real`: its entries reconciled with the index (or,
 * when the index cannot say, read from the disk), each as the file is now; undefined when the
 * directory is gone.
 */
export async function listDirectory(
  deps: ListingDeps,
  real: string,
  directory: string,
  { limit, after }: ListOptions,
): Promise<ObjectPage | undefined> {
  const view = await reconcileDirectory(deps.index, real, directory).catch((error: unknown) => {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  });
  if (!view) return undefined;
  const page =
    (view.files ? pageOf(view.files, after, limit + 1) : deps.index.page(directory, after, limit + 1)) ??
    pageOf(await filesOnDisk(real), after, limit + 1);
  const shown = page.slice(0, limit);
  const objects = await Promise.all(shown.map(({ name, record }) => current(deps, { directory, name }, real, record)));
  return {
    objects: objects.filter((object): object is StoredObject => object !== undefined),
    directories: view.directories,
    nextAfter: page.length > limit ? shown.at(-1)!.name : undefined,
  };
}

/**
 * A listed entry as the file is now: its index entry counts only while the file's inode, size
 * and mtime match it (a file replaced by hand, or a swapped directory, is described anew);
 * undefined when the file is gone.
 */
async function current(deps: ListingDeps, key: ObjectKey, real: string, record: FileRecord): Promise<StoredObject | undefined> {
  const stat = await fs.lstat(path.join(real, key.name)).catch(() => undefined);
  if (!stat?.isFile()) return undefined;
  return matches(record, stat) ? objectOf(key, record, record.attributes) : deps.head(key);
}
