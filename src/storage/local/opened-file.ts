import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
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

/**
 * The regular file `name` in the directory `directory` (a real path under `root`), opened; undefined
 * when there is none. After opening, the file's real path (from /proc/self/fd) must still lie
 * under `root`: a directory swapped for a symlink between the check of its path and the open
 * cannot lead a read outside. Where /proc is absent that check is skipped.
 */
export async function openInside(root: string, directory: string, name: string): Promise<OpenedFile | 'outside' | undefined> {
  const handle = await fs.open(path.join(directory, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch((error: unknown) => {
    if (ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  });
  if (!handle) return undefined;
  let handedOver = false;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return undefined;
    const through = `/proc/self/fd/${handle.fd}`;
    const real = await fs.readlink(through).catch(() => undefined);
    if (real !== undefined && !isInside(root, real)) return 'outside';
    handedOver = true;
    return opened(handle, stat, through);
  } finally {
    if (!handedOver) await handle.close();
  }
}

function opened(handle: fs.FileHandle, stat: Stats, through: string): OpenedFile {
  let closing: Promise<void> | undefined;
  return {
    stat,
    through,
    read(range) {
      if (closing) throw new Error('the opened file was read or released already');
      // From here the stream owns the descriptor: it closes it when it ends or is destroyed.
      closing = Promise.resolve();
      // With its end known the stream stops after the last byte instead of reading once more to
      // find EOF: one file operation fewer per download.
      const whole = stat.size > 0 ? { start: 0, end: stat.size - 1 } : {};
      return createReadStream('', { fd: handle, autoClose: true, ...(range ?? whole) });
    },
    release() {
      closing ??= handle.close();
      return closing;
    },
  };
}
