import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runBelowEventLoop } from '../../pool-thread-priority.ts';
import { noSpaceCode } from '../no-space.ts';
import { ensureDirectoryInside, holdDirectoryInside } from './directory-inside.ts';
import { DirectorySyncer, flushFile } from './durable.ts';
import type { Digest } from '../staging/running-hash.ts';

export interface CommitTask {
  /** Real path of the storage root. */
  root: string;
  tempPath: string;
  /** Bytes still in memory: written to `tempPath` here, off the event loop. */
  bytes?: Uint8Array;
  directory: string;
  name: string;
  fsync: boolean;
  /** Size and hash already computed while the file was written (staging/running-hash.ts). */
  followed?: Digest;
}

/** The identity of one version of a file, as stat reports it, with its content's digest. */
export interface FileVersion {
  ino: number;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export type CommitOutcome = ({ ok: true } & FileVersion) | { ok: false; error: 'EXISTS' | 'PATH' | 'NO_SPACE'; detail: string };

const CHUNK = 1 << 20;

runBelowEventLoop();
/** One per thread: the uploads this thread carries share directory fsyncs. */
const directories = new DirectorySyncer();

/**
 * Runs in a pool thread: writes (when still in memory), hashes and fsyncs the staged bytes,
 * then publishes them with link(), which fails with EEXIST instead of replacing, so concurrent
 * commits of one key cannot overwrite each other and the final path never holds a partial file.
 * The temp file is gone when this returns: one new inode per upload, the stored file itself.
 */
export default async function commit(task: CommitTask): Promise<CommitOutcome> {
  try {
    return await commitStaged(task);
  } catch (error) {
    // errno codes do not survive the trip back to the event loop: name a full disk here.
    const code = noSpaceCode(error);
    if (code) return { ok: false, error: 'NO_SPACE', detail: code };
    throw error;
  } finally {
    removeIfThere(task.tempPath);
  }
}

async function commitStaged(task: CommitTask): Promise<CommitOutcome> {
  const written = task.bytes
    ? await writeHashed(task.tempPath, task.bytes, task.fsync)
    : await hashAndSync(task.tempPath, task.fsync, task.followed);
  const directory = ensureDirectoryInside(task.root, task.directory);
  if (!directory.ok) return { ok: false, error: 'PATH', detail: directory.problem };
  const held = holdDirectoryInside(task.root, directory.real);
  if (!held.ok) return { ok: false, error: 'PATH', detail: held.problem };
  try {
    try {
      fs.linkSync(task.tempPath, path.join(held.held.through, task.name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return { ok: false, error: 'EXISTS', detail: 'file already exists' };
      if (code === 'ENOTDIR') return { ok: false, error: 'PATH', detail: 'the directory is a file' };
      if (code === 'ENOENT') return { ok: false, error: 'PATH', detail: 'the directory was removed while the upload was stored' };
      throw error;
    }
    // Moved since (renamed by hand): its own descriptor is flushed instead of the path's group fsync.
    if (task.fsync) await directories.sync(directory.real).catch(() => flushFile(held.held.fd));
  } finally {
    held.held.close();
  }
  return { ok: true, ...written };
}

function removeIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Readiness probe: a thread that answers this can take tasks. */
export function ping(): string {
  return 'pong';
}

/** The version and digest of a stored file the index has no entry for (copied in by hand). */
export function hash(file: string): Promise<FileVersion> {
  return hashAndSync(file, false);
}

/** Writes bytes that arrived in memory to a new file, hashing them as they are (no re-read). */
async function writeHashed(file: string, bytes: Uint8Array, fsync: boolean): Promise<FileVersion> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
    if (fsync) await flushFile(fd);
    const { ino, mtimeMs } = fs.fstatSync(fd);
    return { ino, size: bytes.length, mtimeMs, sha256 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Hashes a file and makes it durable; with `followed`, the hash is already known and only the
 * rest of the flush is left. Reads go through libuv's threadpool, a chunk at a time, so a large
 * file does not hold up the other uploads this thread carries.
 */
async function hashAndSync(file: string, fsync: boolean, followed?: Digest): Promise<FileVersion> {
  const handle = await fs.promises.open(file, 'r');
  try {
    let digest = followed;
    if (!digest) {
      const hasher = createHash('sha256');
      const buffer = Buffer.allocUnsafe(CHUNK);
      let size = 0;
      for (let read; (read = (await handle.read(buffer, 0, CHUNK, null)).bytesRead) > 0; size += read) {
        hasher.update(buffer.subarray(0, read));
      }
      digest = { size, sha256: hasher.digest('hex') };
    }
    if (fsync) await handle.sync();
    const { ino, mtimeMs } = await handle.stat();
    return { ino, size: digest.size, mtimeMs, sha256: digest.sha256 };
  } finally {
    await handle.close();
  }
}
