import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { Digest } from '../staging/hash-while-writing.ts';

/** What the staging side tells a follower: the final size once the upload ended, or to stop. */
export type FollowMessage = { size: number } | { abort: true };

export interface FollowTask {
  /** The temp file being written by the event loop's write stream. */
  tempPath: string;
  port: MessagePort;
  /** Flush written data to disk as it arrives, so the fsync at publish time has little left. */
  flush: boolean;
}

const CHUNK = 1 << 20;
/** At most this much of a large upload waits in the page cache for its fsync. */
const FLUSH_EVERY = 64 * CHUNK;
/**
 * How long a follower that caught up with the writer waits before reading again: 5 ms, doubling
 * while nothing arrives up to 160 ms, so a slow client's upload costs a few reads a second.
 */
const POLL_MS = 5;
const POLL_MAX_MS = 160;

/**
 * Runs in a pool thread while a large upload is being staged: reads the temp file behind the
 * writer (from the page cache) and hashes it, and flushes it with fdatasync as it grows. When
 * the upload ends, hashing is done and the disk has most of the bytes, so publishing does not
 * start a second pass over the file nor a single fsync of all of it (which halves throughput
 * on these disks, see shared TOOLCHAIN.md). Answers undefined when told to stop.
 */
export async function follow({ tempPath, port, flush }: FollowTask): Promise<Digest | undefined> {
  let size: number | undefined;
  let aborted = false;
  let wake: (() => void) | undefined;
  port.on('message', (message: FollowMessage) => {
    if ('abort' in message) aborted = true;
    else size = message.size;
    wake?.();
  });
  const handle = await fs.promises.open(tempPath, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    let read = 0;
    let flushedAt = 0;
    let flushing: Promise<void> | undefined;
    let pollMs = POLL_MS;
    while (!aborted && (size === undefined || read < size)) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, read);
      if (bytesRead === 0) {
        // Caught up. Once the final size is known every byte is visible, so a short read there
        // means the file is not what was announced: give up, publishing hashes it instead.
        if (size !== undefined) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, pollMs);
        });
        pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
        continue;
      }
      pollMs = POLL_MS;
      hash.update(buffer.subarray(0, bytesRead));
      read += bytesRead;
      if (flush && !flushing && read - flushedAt >= FLUSH_EVERY) {
        flushedAt = read;
        flushing = handle.datasync().finally(() => (flushing = undefined));
      }
    }
    await flushing;
    return aborted || read !== size ? undefined : { size: read, sha256: hash.digest('hex') };
  } finally {
    port.close();
    await handle.close();
  }
}
