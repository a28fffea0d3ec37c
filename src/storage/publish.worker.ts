import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { readAudioMetadata } from './audio-metadata.ts';
import type { AudioMetadata } from './media-store.ts';
import { extensionOf } from '../media/schemas.ts';
import { isInside } from './paths.ts';
import { writeSidecarSync, type Sidecar } from './sidecar.ts';

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
  | { ok: true; size: number; sha256: string; metadata: AudioMetadata | null }
  | { ok: false; error: 'EXISTS' | 'FORMAT' | 'ESCAPE'; detail: string };

const CHUNK = 1 << 20;

/**
 * Runs in a piscina thread: verify the format, read the metadata, hash, fsync, then publish with
 * link(), which fails with EEXIST instead of replacing, so concurrent uploads of one path cannot
 * overwrite each other and the final path never holds a partial file. The temp file is gone when
 * this returns.
 */
export default async function publish(task: PublishTask): Promise<PublishOutcome> {
  try {
    if (task.bytes) writeAll(task.tempPath, task.bytes);
    if (task.verifyContent) {
      const problem = await formatProblem(task);
      if (problem) return { ok: false, error: 'FORMAT', detail: problem };
    }
    const metadata = await readAudioMetadata(task.bytes ?? task.tempPath, task.extension);
    const { size, sha256 } = hashAndSync(task.tempPath, task.fsync);
    const directory = path.join(task.root, task.directory);
    fs.mkdirSync(directory, { recursive: true });
    const realDirectory = fs.realpathSync(directory);
    if (!isInside(task.root, realDirectory)) {
      return { ok: false, error: 'ESCAPE', detail: 'directory resolves outside the storage root' };
    }
    const final = path.join(realDirectory, task.filename);
    try {
      fs.linkSync(task.tempPath, final);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, error: 'EXISTS', detail: 'file already exists' };
      throw error;
    }
    if (task.fsync) fsyncPath(realDirectory);
    try {
      const { ino } = fs.statSync(final);
      writeSidecarSync(task.root, task.directory, task.filename, `${task.tempPath}.meta`, { ino, size, sha256, metadata });
    } catch {
      // The file is stored and durable; a missing sidecar is rebuilt by describe() on first read.
    }
    return { ok: true, size, sha256, metadata };
  } finally {
    fs.rmSync(task.tempPath, { force: true });
  }
}

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
  const { size, sha256 } = hashAndSync(file, false);
  const { ino } = fs.statSync(file);
  const sidecar = { ino, size, sha256, metadata };
  writeSidecarSync(task.root, task.directory, task.filename, task.tempPath, sidecar);
  return sidecar;
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

function hashAndSync(file: string, fsync: boolean): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (let read; (read = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0; size += read) {
      hash.update(buffer.subarray(0, read));
    }
    if (fsync) fs.fsyncSync(fd);
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
