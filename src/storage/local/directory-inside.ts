import fs from 'node:fs';
import path from 'node:path';
import { isInside } from './paths.ts';

/** A directory under the root as found on disk, or why it cannot hold files. */
export type DirectoryLookup = { ok: true; real: string } | { ok: false; problem: string };

const OUTSIDE = 'directory resolves outside the storage root';
const BROKEN = 'directory is a dangling or looping symlink';
const NOT_A_DIRECTORY = 'a segment of the directory is a file';
const REMOVED = 'the directory was removed while the upload was stored';

/**
 * The real path of `root/relative`, creating what is missing one segment at a time. Each parent
 * is resolved and checked to be inside the root before anything is created in it, so a symlink
 * that leads out of the root never gets a directory made at its far end. `root` is a real path.
 */
export function ensureDirectoryInside(root: string, relative: string): DirectoryLookup {
  // The steady state: the directory exists and is plainly inside, one realpath.
  try {
    const real = fs.realpathSync.native(path.join(root, relative));
    return isInside(root, real) ? { ok: true, real } : { ok: false, problem: OUTSIDE };
  } catch (error) {
    const problem = problemOf(error);
    if (problem) return { ok: false, problem };
  }
  let current = root;
  for (const segment of relative.split('/')) {
    const next = path.join(current, segment);
    let real: string;
    try {
      real = fs.realpathSync.native(next);
    } catch (error) {
      const problem = problemOf(error);
      if (problem) return { ok: false, problem };
      // ENOENT: absent, or a symlink to something absent (never created through). Something that
      // is there now and no symlink was made by another upload since the realpath: taken as it is.
      const seen = fs.lstatSync(next, { throwIfNoEntry: false });
      if (seen?.isSymbolicLink()) return { ok: false, problem: BROKEN };
      if (!seen) makeDirectory(next);
      try {
        real = fs.realpathSync.native(next);
      } catch (error) {
        // Renamed or removed by hand between its making and this look.
        return { ok: false, problem: problemOf(error) ?? REMOVED };
      }
    }
    if (!isInside(root, real)) return { ok: false, problem: OUTSIDE };
    current = real;
  }
  return { ok: true, real: current };
}

/** A directory held open: `through` reaches it whatever is renamed or swapped under its name meanwhile. */
export interface HeldDirectory {
  through: string;
  fd: number;
  close(): void;
}

/**
 * Opens the directory `real` (found by ensureDirectoryInside) and checks where the open
 * directory really is (/proc/self/fd): a directory swapped for a symlink between the check of its
 * path and this open cannot lead a write outside the root, as a name created `through` it lands
 * in the directory checked. Where /proc is absent the path itself is used.
 */
export function holdDirectoryInside(root: string, real: string): { ok: true; held: HeldDirectory } | { ok: false; problem: string } {
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (error) {
    const problem = problemOf(error);
    if (problem) return { ok: false, problem };
    return { ok: false, problem: BROKEN };
  }
  const close = () => fs.closeSync(fd);
  const through = `/proc/self/fd/${fd}`;
  let found: string;
  try {
    found = fs.readlinkSync(through);
  } catch {
    return { ok: true, held: { through: real, fd, close } };
  }
  if (isInside(root, found)) return { ok: true, held: { through, fd, close } };
  close();
  return { ok: false, problem: OUTSIDE };
}

/** The real path of an existing directory under the root; undefined when absent or unusable. */
export async function findDirectoryInside(root: string, relative: string): Promise<DirectoryLookup | undefined> {
  let real: string;
  try {
    real = await fs.promises.realpath(path.join(root, relative));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || problemOf(error)) return undefined;
    throw error;
  }
  return isInside(root, real) ? { ok: true, real } : { ok: false, problem: OUTSIDE };
}

/** The problem an errno names for a path that cannot be a directory; undefined for ENOENT. */
function problemOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return BROKEN;
  if (code === 'ENOTDIR') return NOT_A_DIRECTORY;
  if (code === 'ENOENT') return undefined;
  throw error;
}

function makeDirectory(directory: string): void {
  try {
    fs.mkdirSync(directory);
  } catch (error) {
    // Another upload made it first: fine, it is resolved and checked next.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
