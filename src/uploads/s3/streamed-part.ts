import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { PartedStore, PartedUpload, SentPart } from '../../storage/parted-store.ts';

/** Bytes held between the request and the part's send: the request pauses beyond them. */
const HELD_BYTES = 1024 * 1024;

/**
 * One whole part of a chunk sent to the bucket while its bytes arrive (PartedStore.streamPart), so
 * a PATCH's part costs one transfer instead of being received whole and then sent whole. The
 * request is paced by the gateway: `write` waits while more than HELD_BYTES wait for it. A part
 * whose bytes stop short (the request was cut) is cut too, and never counts.
 */
export class StreamedPart {
  readonly sent: Promise<SentPart>;
  private readonly body = new PassThrough({ highWaterMark: HELD_BYTES });
  private readonly cutting = new AbortController();
  private written = 0;

  constructor(
    parted: PartedStore,
    multipart: PartedUpload,
    readonly partNumber: number,
    readonly size: number,
  ) {
    this.sent = parted.streamPart(multipart, partNumber, this.body, size, this.cutting.signal);
    // Its failure is thrown where it is awaited (write, or the part's count), never unhandled meanwhile.
    this.sent.catch(() => undefined);
  }

  /** Bytes of the part still to come. */
  get missing(): number {
    return this.size - this.written;
  }

  /** Passes `bytes` (at most `missing`) on; resolves once the send can take more, throws why it failed. */
  async write(bytes: Buffer): Promise<void> {
    this.written += bytes.length;
    if (this.body.write(bytes)) return;
    const drained = once(this.body, 'drain', { signal: this.cutting.signal });
    drained.catch(() => undefined);
    await Promise.race([drained, this.sent]);
  }

  /** The last byte is in (missing is 0): resolves with the part once the gateway has it. */
  finish(): Promise<SentPart> {
    this.body.end();
    return this.sent;
  }

  /** The request stopped short of the part: its send is cut (the gateway keeps nothing of it) and has settled. */
  async cut(): Promise<void> {
    this.cutting.abort(new Error(`part ${this.partNumber} was cut at ${this.written} of ${this.size} bytes`));
    this.body.destroy();
    await this.sent.catch(() => undefined);
  }
}
