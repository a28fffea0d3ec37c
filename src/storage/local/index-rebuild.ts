import fs from 'node:fs/promises';
import path from 'node:path';

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
