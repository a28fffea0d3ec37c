import { createHash, type Hash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';

/** Where a chunk's next bytes are in the shared memory (the slot goes back once hashed), then whether the chunk counted. */
export type ChunkMessage = { at: number; length: number } | { counted: number } | { refused: true };

/** Hashes one chunk of an upload, from `from`, as the event loop receives it. */
export interface FollowTask {
  op: 'follow';
  id: string;
  from: number;
  port: MessagePort;
  memory: SharedArrayBuffer;
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

export type RunningSha256Task = FollowTask | DigestTask | ForgetTask;

/**
 * The pool running this module has one thread, so an upload's hash stays here between its
 * chunks. A thread that was replaced has lost them: digests then answer undefined and the
 * publish hashes the file itself.
 */
const running = new Map<string, { hash: Hash; position: number }>();

export default async function runningSha256(task: RunningSha256Task): Promise<string | undefined> {
  const state = running.get(task.id);
  running.delete(task.id);
  if (task.op === 'digest') return state?.position === task.size ? state.hash.digest('hex') : undefined;
  if (task.op === 'follow')
    await follow(task, task.from === 0 ? createHash('sha256') : state?.position === task.from ? state.hash : undefined);
  return undefined;
}

/**
 * Hashes the chunk's bytes into a copy of `before` (the upload's hash at `from`; undefined when the
 * chain is broken: a chunk counted elsewhere, or this thread is new). A chunk that counted moves
 * the upload's hash on; a refused one (a checksum mismatch, a failed write) leaves it at `from`.
 */
function follow({ id, from, port, memory }: FollowTask, before: Hash | undefined): Promise<void> {
  const hash = before?.copy();
  const bytes = new Uint8Array(memory);
  let hashed = 0;
  return new Promise<void>((resolve) => {
    port.on('message', (message: ChunkMessage) => {
      if ('at' in message) {
        hash?.update(bytes.subarray(message.at, message.at + message.length));
        hashed += message.length;
        port.postMessage(message.at);
        return;
      }
      if ('counted' in message) {
        if (hash && message.counted === from + hashed) running.set(id, { hash, position: message.counted });
      } else if (before) {
        running.set(id, { hash: before, position: from });
      }
      port.close();
    });
    // Closed after the verdict, or by the event loop's side giving up: either way this chunk is done.
    port.once('close', () => resolve());
  });
}
