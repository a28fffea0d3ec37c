import fs from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../../fault-points.ts';
import type { ObjectKey, StoredObject } from '../byte-store.ts';
import { reconcileDirectory } from './directory-scan.ts';
import type { IndexKeeper } from './index-keeper.ts';

/** Files described at once while the index is rebuilt: enough to keep the pool busy, few enough to leave it to requests. */
const REBUILD_BATCH = 8;

/** Fills a fresh index from the files: every directory read, every file hashed and described (`head`). */
export async function rebuildIndex(
  root: string,
  keeper: IndexKeeper,
  head: (key: ObjectKey) => Promise<StoredObject | undefined>,
): Promise<void> {
  await faultPoint('index-rebuild');
  for await (const { directory, real } of directoriesUnder(root, () => keeper.stopping)) {
    const read = await reconcileDirectory(keeper.index, real, directory).catch(() => undefined);
    const names = read ? keeper.index.names(directory) : [];
    for (let i = 0; i < names.length && !keeper.stopping; i += REBUILD_BATCH) {
      await Promise.all(names.slice(i, i + REBUILD_BATCH).map((name) => head({ directory, name }).catch(() => undefined)));
    }
  }
}

/** A directory under the storage root: its key (`/`-joined, '' for the root) and where it is. */
export interface RootDirectory {
  directory: string;
  real: string;
}

/**
 * Every directory under `root` that the API can name, the root first, for a rebuild of the
 * index: dot names (the store's own areas) are skipped and symlinks are not followed (a
 * directory reached through one is indexed when a request names it). Stops when `stopping()`.
 */
export async function* directoriesUnder(root: string, stopping: () => boolean): AsyncGenerator<RootDirectory> {
  const pending: RootDirectory[] = [{ directory: '', real: root }];
  for (let next = pending.pop(); next && !stopping(); next = pending.pop()) {
    yield next;
    const entries = await fs.readdir(next.real, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      pending.push({ directory: next.directory ? `${next.directory}/${entry.name}` : entry.name, real: path.join(next.real, entry.name) });
    }
  }
}
