import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';

/** Bytes `[from, to)` of `file` counted for the upload: hash them after the ones before. */
export interface ExtendTask {
  op: 'extend';
  id: string;
  file: string;
  from: number;
  to: number;
}

/** The upload is complete at `size` bytes: its hex digest when every byte was hashed here, in order. */
export interface DigestTask {
  op: 'digest';
  id: string;
  size: number;
}

export interface ForgetTask {
  op: 'forget';
  id: string;
}

export type RunningSha256Task = ExtendTask | DigestTask | ForgetTask;

const CHUNK = 1 << 20;
/** Read buffers, reused: a fresh one per chunk is garbage this thread seldom collects (+40 MiB peak RSS). */
const spare: Buffer[] = [];

/**
 * The pool running this module has one thread, so an upload's hash stays here between its
 * chunks. A thread that was replaced has lost them: digests then answer undefined and the
 * publish hashes the file itself.
 */
const running = new Map<string, { hash: Hash; position: number }>();

export default async function runningSha256(task: RunningSha256Task): Promise<string | undefined> {
  const state = running.get(task.id);
  if (task.op === 'forget') {
    running.delete(task.id);
    return undefined;
  }
  if (task.op === 'digest') {
    running.delete(task.id);
    return state?.position === task.size ? state.hash.digest('hex') : undefined;
  }
  // A chain broken by a chunk that counted elsewhere (another process) cannot be mended; a chunk
  // at offset 0 starts it again.
  const hash = task.from === 0 ? createHash('sha256') : state?.position === task.from ? state.hash : undefined;
  running.delete(task.id);
  if (!hash) return undefined;
  await hashRange(hash, task.file, task.from, task.to);
  running.set(task.id, { hash, position: task.to });
  return undefined;
}

async function hashRange(hash: Hash, file: string, from: number, to: number): Promise<void> {
  const handle = await fs.open(file, 'r');
  const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    for (let position = from; position < to;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, to - position), position);
      if (bytesRead === 0) throw new Error(`${file} ends at ${position}, before ${to}`);
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    spare.push(buffer);
    await handle.close();
  }
}
