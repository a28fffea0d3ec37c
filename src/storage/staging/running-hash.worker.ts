import { createHash, type Hash } from 'node:crypto';
import fs, { type FileHandle } from 'node:fs/promises';
import type { MessagePort } from 'node:worker_threads';

/** How a run of bytes being written ended: it counted up to `counted`, or was refused (its bytes do not count). */
export type Verdict = { counted: number } | { refused: true };

/** Hashes the bytes of `file` from `from` as they are written, until the verdict comes on `port`. */
export interface FollowTask {
  op: 'follow';
  id: string;
  file: string;
  from: number;
  port: MessagePort;
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

export type RunningHashTask = FollowTask | DigestTask | ForgetTask;

const READ_BYTES = 1 << 20;
/**
 * How long a follower that caught up with the writer waits before reading again: 5 ms, doubling
 * while nothing arrives up to 160 ms, so a slow client's upload costs a few reads a second.
 */
const POLL_MS = 5;
const POLL_MAX_MS = 160;

/**
 * The pool running this module has one thread, so an upload's hash stays here between its runs of
 * bytes (resumable chunks). A thread that was replaced has lost them: digests then answer
 * undefined and the publish hashes the file itself.
 */
const running = new Map<string, { hash: Hash; position: number }>();

/** Read buffers of followers that ended, for the next ones: a new one per run was garbage the thread piled up. */
const spareBuffers: Buffer[] = [];
const SPARE_KEPT = 16;

export default async function runningHash(task: RunningHashTask): Promise<string | undefined> {
  const state = running.get(task.id);
  running.delete(task.id);
  if (task.op === 'digest') return state?.position === task.size ? state.hash.digest('hex') : undefined;
  if (task.op === 'follow') {
    const before = task.from === 0 ? createHash('sha256') : state?.position === task.from ? state.hash : undefined;
    await follow(task, before);
  }
  return undefined;
}

/**
 * Reads the file behind its writer (from the page cache) and hashes into a copy of `before` (the
 * upload's hash at `from`; undefined when the chain is broken). Bytes that counted move the upload's
 * hash on; refused ones leave it at `from`.
 */
async function follow({ id, file, from, port }: FollowTask, before: Hash | undefined): Promise<void> {
  let verdict: Verdict | undefined;
  let wake: (() => void) | undefined;
  port.on('message', (message: Verdict) => {
    verdict = message;
    wake?.();
  });
  const hash = before?.copy();
  const handle = hash ? await fs.open(file, 'r').catch(() => undefined) : undefined;
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
  try {
    let read = from;
    let pollMs = POLL_MS;
    for (;;) {
      const until = verdict && 'counted' in verdict ? verdict.counted : Number.POSITIVE_INFINITY;
      if (!handle || (verdict && ('refused' in verdict || read >= until))) {
        if (verdict) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const knownBefore = verdict !== undefined;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, until - read), read);
      if (bytesRead > 0) {
        hash!.update(buffer.subarray(0, bytesRead));
        read += bytesRead;
        pollMs = POLL_MS;
        continue;
      }
      // Caught up. Once the verdict is known every counted byte is visible, so a short read started
      // after it means the file is not what was counted: the hash is dropped, publishing hashes the
      // file. A verdict that arrived during the read may count bytes written after it: read again.
      if (knownBefore) break;
      if (verdict) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
      pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
    }
    const final = verdict as Verdict;
    if ('counted' in final && before && read > final.counted) {
      // Read on before the verdict came, into the next run's bytes (its writer went on first): this
      // run's bytes are still in the file, so they are hashed again from the run's start.
      const again = before.copy();
      if ((await hashRange(handle!, buffer, again, from, final.counted)) === final.counted)
        running.set(id, { hash: again, position: final.counted });
    } else if ('counted' in final && hash && read === final.counted) running.set(id, { hash, position: read });
    else if ('refused' in final && before) running.set(id, { hash: before, position: from });
  } finally {
    port.close();
    await handle?.close();
    if (spareBuffers.length < SPARE_KEPT) spareBuffers.push(buffer);
  }
}

/** Hashes the bytes of `handle` in [from, to) into `hash`; returns where the reads ended (short of `to` when the file is). */
async function hashRange(handle: FileHandle, buffer: Buffer, hash: Hash, from: number, to: number): Promise<number> {
  let at = from;
  while (at < to) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, to - at), at);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
  return at;
}
