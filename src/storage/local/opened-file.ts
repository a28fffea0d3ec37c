import fs, { createReadStream, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { ByteRange } from '../byte-store.ts';
import { isInside } from './paths.ts';

/**
 * One version of a stored file, held open: its description and its bytes both come from this one
 * descriptor, so a DELETE and a new upload of the same name between the two cannot pair the old
 * file's digest with the new file's bytes, and a file deleted after it was opened is still read
 * whole.
 */
export interface OpenedFile {
  stat: Stats;
  /** A path that reaches this open file (not its name, which may name another file by now). */
  readonly through: string;
  /** The bytes, or one range: once per opened file; the descriptor closes when the stream ends. */
  read(range?: ByteRange): Readable;
  /** Closes the descriptor if read() was not called. Safe to call twice. */
  release(): Promise<void>;
}

/** Opening these means there is no regular file by that name (or it is a symlink: never followed). */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR']);

// A plain descriptor, not a FileHandle: a read stream on a FileHandle reads through its promise
// API (a promise per read), one on a number through the callback API.
const open = promisify(fs.open);

/**
 * Closing a descriptor opened read-only writes nothing back, so it is done in line rather than
 * through the thread pool. The read stream calls this only once no read of its is in flight.
 */
function closeInLine(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void {
  try {
    fs.closeSync(fd);
  } catch (error) {
    return callback(error as NodeJS.ErrnoException);
  }
  callback(null);
}
const closeNow = async (fd: number): Promise<void> => fs.closeSync(fd);
const STREAM_FS = { read: fs.read, close: closeInLine };

/**
 * What opening `root/relative/name` found: the file (`placeChecked` when its real path, read from
 * /proc/self/fd, was found under `root`), `outside` when that real path lies outside the root,
 * or undefined when there is no regular file by that name.
 *
 * The directory's symlinks are followed by the open itself and judged by where the opened file
 * really is: a directory swapped for a symlink between any check and the open cannot lead a read
 * outside. Where /proc is absent `placeChecked` is false and the caller must check the directory's
 * real path itself.
 */
export async function openInside(root: string, relative: string, name: string): Promise<CheckedFile | 'outside' | undefined> {
  const fd = await open(path.join(root, relative, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch((error: unknown) => {
    if (ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  });
  if (fd === undefined) return undefined;
  let handedOver = false;
  try {
    // An fstat and a readlink of /proc on an open descriptor touch no disk: done in line, not
    // through the thread pool.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const through = `/proc/self/fd/${fd}`;
    const real = readlinkOrUndefined(through);
    if (real !== undefined && !isInside(root, real)) return 'outside';
    handedOver = true;
    return opened(fd, stat, real === undefined ? path.join(root, relative, name) : through, real !== undefined);
  } finally {
    if (!handedOver) await closeNow(fd);
  }
}

function readlinkOrUndefined(link: string): string | undefined {
  try {
    return fs.readlinkSync(link);
  } catch {
    return undefined;
  }
}

/** An opened file whose place under the root was (`placeChecked`) or could not be verified. */
export type CheckedFile = OpenedFile & { readonly placeChecked: boolean };

function opened(fd: number, stat: Stats, through: string, placeChecked: boolean): CheckedFile {
  let closing: Promise<void> | undefined;
  return {
    stat,
    through,
    placeChecked,
    read(range) {
      if (closing) throw new Error('the opened file was read or released already');
      // From here the stream owns the descriptor: it closes it when it ends or is destroyed.
      closing = Promise.resolve();
      // With its end known the stream stops after the last byte instead of reading once more to
      // find EOF: one file operation fewer per download.
      const whole = stat.size > 0 ? { start: 0, end: stat.size - 1 } : {};
      return createReadStream('', { fd, fs: STREAM_FS, autoClose: true, ...(range ?? whole) });
    },
    release() {
      closing ??= closeNow(fd);
      return closing;
    },
  };
}
