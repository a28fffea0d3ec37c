import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { isInside } from './paths.ts';

export interface PublishTask {
  /** Real path of the storage root. */
  root: string;
  tempPath: string;
  /** Bytes still in memory: written to `tempPath` here, off the event loop. */
  bytes?: Uint8Array;
  directory: string;
  filename: string;
  extension: string;
  verifyContent: boolean;
  fsync: boolean;
}

export type PublishOutcome =
  | { ok: true; size: number; sha256: string }
  | { ok: false; error: 'EXISTS' | 'FORMAT' | 'ESCAPE'; detail: string };

const CHUNK = 1 << 20;

/**
 * Runs in a piscina thread: verify the format, hash, fsync, then publish with link(), which fails
 * with EEXIST instead of replacing, so concurrent uploads of one path cannot overwrite each other
 * and the final path never holds a partial file. The temp file is gone when this returns.
 */
export default async function publish(task: PublishTask): Promise<PublishOutcome> {
  try {
    if (task.bytes) writeAll(task.tempPath, task.bytes);
    if (task.verifyContent) {
      const problem = await formatProblem(task);
      if (problem) return { ok: false, error: 'FORMAT', detail: problem };
    }
    const { size, sha256 } = hashAndSync(task);
    const directory = path.join(task.root, task.directory);
    fs.mkdirSync(directory, { recursive: true });
    const realDirectory = fs.realpathSync(directory);
    if (!isInside(task.root, realDirectory)) {
      return { ok: false, error: 'ESCAPE', detail: 'directory resolves outside the storage root' };
    }
    try {
      fs.linkSync(task.tempPath, path.join(realDirectory, task.filename));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        return { ok: false, error: 'EXISTS', detail: 'file already exists' };
      }
      throw error;
    }
    if (task.fsync) fsyncPath(realDirectory);
    return { ok: true, size, sha256 };
  } finally {
    fs.rmSync(task.tempPath, { force: true });
  }
}

function writeAll(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
  } finally {
    fs.closeSync(fd);
  }
}

async function formatProblem(task: PublishTask): Promise<string | undefined> {
  const detected = task.bytes ? await fileTypeFromBuffer(task.bytes) : await fileTypeFromFile(task.tempPath);
  if (detected && `.${detected.ext}` === task.extension) return undefined;
  const seen = detected ? `${detected.mime} content` : 'unrecognised content';
  return `${seen} is not ${task.extension}`;
}

function hashAndSync(task: PublishTask): { size: number; sha256: string } {
  const hash = createHash('sha256');
  if (task.bytes && !task.fsync) {
    hash.update(task.bytes);
    return { size: task.bytes.length, sha256: hash.digest('hex') };
  }
  const fd = fs.openSync(task.tempPath, 'r');
  try {
    let size = 0;
    if (task.bytes) {
      hash.update(task.bytes);
      size = task.bytes.length;
    } else {
      const buffer = Buffer.allocUnsafe(CHUNK);
      for (let read; (read = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0; size += read) {
        hash.update(buffer.subarray(0, read));
      }
    }
    if (task.fsync) fs.fsyncSync(fd);
    return { size, sha256: hash.digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a directory entry durable (the new link), as fsync on the file alone does not. */
function fsyncPath(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
