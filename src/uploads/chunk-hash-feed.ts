import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ChunkMessage } from './running-sha256.worker.ts';

/** Bytes per trip to the hashing thread, and how many buffers one chunk has travelling. */
const BUFFER_BYTES = 256 * 1024;
const BUFFERS = 4;

/**
 * The event loop's side of hashing one chunk (running-sha256.worker.ts): the chunk's bytes are
 * copied into a few buffers that travel to the hashing thread and back, so a chunk being received
 * holds at most 1 MiB here and the loop waits when the thread is behind. A copy costs the event
 * loop ~25 ms per GiB; reading the file back from the page cache cost the thread ~155 ms.
 */
export class ChunkHashFeed {
  /** The hashing thread's end: transferred to it with the task. */
  readonly port: MessagePort;
  private readonly local: MessagePort;
  private readonly free: ArrayBuffer[] = [];
  private allocated = 0;
  private current: ArrayBuffer | undefined;
  private filled = 0;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.local = port1;
    this.port = port2;
    port1.on('message', (bytes: ArrayBuffer) => {
      this.free.push(bytes);
      this.wakeUp();
    });
    // The thread closes the channel once it has the verdict, or when it is gone.
    port1.once('close', () => {
      this.closed = true;
      this.wakeUp();
    });
  }

  /** Copies the bytes for the thread; a promise when they must wait for a buffer to come back. */
  update(chunk: Uint8Array): Promise<void> | undefined {
    for (let at = 0; at < chunk.length;) {
      this.current ??= this.free.pop() ?? this.allocate();
      if (!this.current) return this.closed ? undefined : this.bufferBack().then(() => this.update(chunk.subarray(at)));
      const length = Math.min(BUFFER_BYTES - this.filled, chunk.length - at);
      new Uint8Array(this.current, this.filled, length).set(chunk.subarray(at, at + length));
      this.filled += length;
      at += length;
      if (this.filled === BUFFER_BYTES) this.send();
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
    if (!this.current || this.filled === 0) return;
    this.post({ bytes: this.current, length: this.filled }, [this.current]);
    this.current = undefined;
    this.filled = 0;
  }

  private post(message: ChunkMessage, transfer: ArrayBuffer[] = []): void {
    if (!this.closed) this.local.postMessage(message, transfer);
  }

  private bufferBack(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private allocate(): ArrayBuffer | undefined {
    if (this.allocated === BUFFERS) return undefined;
    this.allocated += 1;
    return new ArrayBuffer(BUFFER_BYTES);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
