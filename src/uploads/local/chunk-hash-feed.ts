import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ChunkMessage } from './running-sha256.worker.ts';

/** Bytes per hand-over to the hashing thread, and how many a chunk being received has in hand. */
const SLOT_BYTES = 512 * 1024;
const SLOTS = 2;
/** Shared memory of chunks that ended, for the next ones. */
const spareMemory: SharedArrayBuffer[] = [];
const SPARE_KEPT = 16;

/**
 * The event loop's side of hashing one chunk (running-sha256.worker.ts): the chunk's bytes are
 * copied into slots of memory shared with the hashing thread, which hands each slot back once
 * hashed, so a chunk being received holds 1 MiB here and the loop waits when the thread is
 * behind. The copy costs the event loop less than reading the file back from the page cache
 * costs the thread. Shared, not transferred: ArrayBuffers transferred back and forth made each
 * process's garbage collection busier with every GiB (figures in test/bench/NOTES.md).
 */
export class ChunkHashFeed {
  /** The hashing thread's end of the channel, and the memory: both go to it with the task. */
  readonly port: MessagePort;
  readonly memory: SharedArrayBuffer;
  private readonly local: MessagePort;
  private readonly bytes: Buffer;
  private readonly free = Array.from({ length: SLOTS }, (_, slot) => slot * SLOT_BYTES);
  private current: number | undefined;
  private filled = 0;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.local = port1;
    this.port = port2;
    this.memory = spareMemory.pop() ?? new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    this.bytes = Buffer.from(this.memory);
    port1.on('message', (at: number) => {
      this.free.push(at);
      this.wakeUp();
    });
    // The thread closes the channel once it has the verdict (every slot is back), or when it is gone.
    port1.once('close', () => {
      this.closed = true;
      if (spareMemory.length < SPARE_KEPT) spareMemory.push(this.memory);
      this.wakeUp();
    });
  }

  /** Copies the bytes for the thread; a promise when they must wait for a slot to come back. */
  update(chunk: Buffer): Promise<void> | undefined {
    for (let at = 0; at < chunk.length;) {
      this.current ??= this.free.pop();
      if (this.current === undefined) return this.closed ? undefined : this.slotBack().then(() => this.update(chunk.subarray(at)));
      const length = Math.min(SLOT_BYTES - this.filled, chunk.length - at);
      // Buffer#fill copies with memcpy; TypedArray#set into shared memory goes byte by byte when
      // the source is unaligned, as a socket's chunks are (test/bench/NOTES.md).
      const start = this.current + this.filled;
      this.bytes.fill(chunk.subarray(at, at + length), start, start + length);
      this.filled += length;
      at += length;
      if (this.filled === SLOT_BYTES) this.send();
    }
    return undefined;
  }

  /** The chunk counted: the upload's bytes now end at `position`. */
  counted(position: number): void {
    this.send();
    this.post({ counted: position });
  }

  /** The chunk did not count: the upload's hash stays where it was. */
  refused(): void {
    this.post({ refused: true });
  }

  private send(): void {
    if (this.current === undefined || this.filled === 0) return;
    this.post({ at: this.current, length: this.filled });
    this.current = undefined;
    this.filled = 0;
  }

  private post(message: ChunkMessage): void {
    if (!this.closed) this.local.postMessage(message);
  }

  private slotBack(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
