import type { WriteStream } from 'node:fs';
import type fs from 'node:fs/promises';
import { faultPoint } from '../../fault-points.ts';

/** The same step as EarlyFlush: a crash loses at most this much of a chunk sent without a checksum. */
const PROGRESS_BYTES = 2 * 1024 * 1024;

/**
 * A chunk sent without `Upload-Checksum` counts as far as it arrived (a client that disconnects
 * keeps its bytes), so a crash of the service must keep them too, as tusd does: every 2 MiB the
 * bytes the sink has written are flushed (with `media.fsync`) and the upload's record moves to
 * them. At most one step at a time, the next one starting as it ends if 2 MiB more arrived
 * meanwhile; the chunk's end still writes the final record.
 */
export class DurableProgress {
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The offset the record says now. */
  recorded: number;

  constructor(
    private readonly sink: WriteStream,
    private readonly start: number,
    /** Set with `media.fsync`: the bytes are flushed before the record counts them. */
    private readonly file: fs.FileHandle | undefined,
    private readonly record: (offset: number) => Promise<void>,
  ) {
    this.recorded = start;
  }

  /** Called as bytes reach the file: starts a step once 2 MiB more were written to it. */
  readonly wrote = (): void => {
    const upTo = this.start + this.sink.bytesWritten;
    if (this.stopped || this.running || upTo - this.recorded < PROGRESS_BYTES) return;
    this.running = (async () => {
      await faultPoint('progress-step');
      await this.file?.datasync();
      await this.record(upTo);
      this.recorded = upTo;
    })().then(
      () => {
        this.running = undefined;
        // Bytes written during the step start the next one now: the sender may send no more.
        this.wrote();
      },
      // A step that failed is tried again with the next bytes written, not at once.
      () => (this.running = undefined),
    );
  };

  /** No step starts after this; resolves once the one under way, if any, has ended. */
  async settled(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }
}
