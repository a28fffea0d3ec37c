import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartFailure } from './start-failure.ts';

/**
 * Makes sure `storage.root` is a writable directory before the store opens. Creates the last level
 * only: a missing parent is more likely a mistyped path than a tree to build.
 */
export async function prepareStorageRoot(root: string): Promise<void> {
  const fail = (why: string) => new StartFailure(`cannot use storage.root (UPLOAD_DIR) ${root}: ${why}`);
  try {
    await fs.mkdir(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(`its parent ${path.dirname(root)} does not exist (create it first)`);
    if (code === 'ENOTDIR') throw fail('a part of the path is a file, not a directory');
    if (code === 'EACCES' || code === 'EPERM') throw fail(`permission denied creating it in ${path.dirname(root)}`);
    if (code === 'EROFS') throw fail('the file system is read-only');
    if (code !== 'EEXIST') throw error;
  }
  const stats = await fs.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw fail(error.code === 'ENOENT' ? 'it is a dangling symlink' : `${error.code}: ${error.message}`);
  });
  if (!stats.isDirectory()) throw fail('it is a file, not a directory');
  try {
    await fs.access(root, constants.W_OK | constants.X_OK);
  } catch {
    throw fail('it is not writable by this process');
  }
}
