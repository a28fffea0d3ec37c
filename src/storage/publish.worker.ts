import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { readAudioMetadata } from './audio-metadata.ts';
import { DirectorySyncer, flushFile } from './durable.ts';
import type { Followed } from './follow-file.ts';
import type { AudioMetadata } from './media-store.ts';
import { extensionOf } from '../media/extension.ts';
import { ensureDirectoryInside } from './directory-inside.ts';
import { noSpaceCode } from './no-space.ts';
import { writePublishedSidecarSync, writeSidecarSync, type Sidecar } from './sidecar.ts';

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
  /** Size and hash already computed while the file was written (follow-file.ts). */
  followed?: Followed;
}

export type PublishOutcome =
  | { ok: true; size: number; sha256: string; metadata: AudioMetadata | null }
  | { ok: false; error: 'EXISTS' | 'FORMAT' | 'PATH' | 'NO_SPACE'; detail: string };

const CHUNK = 1 << 20;
/**
 * Pool threads run below the event loop (nice +10): on a machine with few cores they otherwise
 * preempt the thread that accepts and parses requests, which then waits tens of ms. The pool's
 * work still gets every idle cycle. On Linux, niceness is per thread (setpriority(0) names the
 * calling thread); elsewhere it would renice the whole process, so it is left alone there.
 */
const POOL_NICENESS = 10;
if (process.platform === 'linux') setPriority(0, POOL_NICENESS);
/** One per thread: the uploads this thread carries share directory fsyncs. */
const directories = new DirectorySyncer();

/**
 * Runs in a piscina thread: verify the format, read the metadata, hash, fsync, then publish with
 * link(), which fails with EEXIST instead of replacing, so concurrent uploads of one path cannot
 * overwrite each other and the final path never holds a partial file. The temp file is gone when
 * this returns.
 */
export default async function publish(task: PublishTask): Promise<PublishOutcome> {
  try {
    return await publishStaged(task);
  } catch (error) {
    // errno codes do not survive the trip back to the event loop: name a full disk here.
    const code = noSpaceCode(error);
    if (code) return { ok: false, error: 'NO_SPACE', detail: code };
    throw error;
  } finally {
    removeIfThere(task.tempPath);
  }
}

async function publishStaged(task: PublishTask): Promise<PublishOutcome> {
  {
    // Judged before anything is written: content that is refused never touches the disk.
    if (task.verifyContent) {
      const problem = await formatProblem(task);
      if (problem) return { ok: false, error: 'FORMAT', detail: problem };
    }
    const metadata = await readAudioMetadata(task.bytes ?? task.tempPath, task.extension);
    const { size, sha256, ino } = task.bytes
      ? await writeHashed(task.tempPath, task.bytes, task.fsync)
      : await hashAndSync(task.tempPath, task.fsync, task.followed);
    const directory = ensureDirectoryInside(task.root, task.directory);
    if (!directory.ok) return { ok: false, error: 'PATH', detail: directory.problem };
    const realDirectory = directory.real;
    const final = path.join(realDirectory, task.filename);
    try {
      fs.linkSync(task.tempPath, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return { ok: false, error: 'EXISTS', detail: 'file already exists' };
      if (code === 'ENOTDIR') return { ok: false, error: 'PATH', detail: 'the directory is a file' };
      throw error;
    }
    if (task.fsync) await directories.sync(realDirectory);
    try {
      // link() keeps the inode, so the temp file's is the stored file's.
      writePublishedSidecarSync(task.root, task.directory, task.filename, { ino, size, sha256, metadata });
    } catch {
      // The file is stored and durable; a missing sidecar is rebuilt by describe() on first read.
    }
    return { ok: true, size, sha256, metadata };
  }
}

function removeIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export { follow } from './follow-file.ts';

/** Readiness probe: a thread that answers this can take tasks. */
export function ping(): string {
  return 'pong';
}

export interface DescribeTask {
  root: string;
  directory: string;
  filename: string;
  /** Where the sidecar is written before it is renamed into place. */
  tempPath: string;
}

/** Rebuilds the sidecar of a stored file that has none (or a stale one): hash and metadata. */
export async function describe(task: DescribeTask): Promise<Sidecar> {
  const file = path.join(task.root, task.directory, task.filename);
  const metadata = await readAudioMetadata(file, extensionOf(task.filename));
  const { size, sha256, ino } = await hashAndSync(file, false);
  const sidecar = { ino, size, sha256, metadata };
  try {
    writeSidecarSync(task.root, task.directory, task.filename, task.tempPath, sidecar);
  } catch {
    // A full disk, say: the description is still right, it is only not kept for next time.
  }
  return sidecar;
}

interface Written {
  size: number;
  sha256: string;
  ino: number;
}

/** Writes bytes that arrived in memory to a new file, hashing them as they are (no re-read). */
async function writeHashed(file: string, bytes: Uint8Array, fsync: boolean): Promise<Written> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
    if (fsync) await flushFile(fd);
    return { size: bytes.length, sha256, ino: fs.fstatSync(fd).ino };
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

/**
 * Hashes a staged file and makes it durable; with `followed`, the hash is already known and only
 * the rest of the flush is left. Reads go through libuv's threadpool, a chunk at a time, so a
 * large file does not hold up the other uploads this thread carries.
 */
async function hashAndSync(file: string, fsync: boolean, followed?: Followed): Promise<Written> {
  const hash = createHash('sha256');
  const handle = await fs.promises.open(file, 'r');
  try {
    if (followed) {
      if (fsync) await handle.sync();
      return { ...followed, ino: (await handle.stat()).ino };
    }
    const buffer = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (let read; (read = (await handle.read(buffer, 0, CHUNK, null)).bytesRead) > 0; size += read) {
      hash.update(buffer.subarray(0, read));
    }
    if (fsync) await handle.sync();
    return { size, sha256: hash.digest('hex'), ino: (await handle.stat()).ino };
  } finally {
    await handle.close();
  }
}
