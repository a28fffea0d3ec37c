import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { AppError, fileTooLargeReason } from '../errors.ts';
import type { StagedBytes, StagingSeam } from '../storage/byte-store.ts';

/**
 * A file's bytes on their way into the store's staging as they are decoded, so memory stays
 * flat whatever the size: over `maxFileSize` is code 413, and `flowing()` passes the store's
 * backpressure back to whoever reads the request.
 */
export class StagingBody {
  private stream: PassThrough | undefined;
  private staging: Promise<StagedBytes> | undefined;
  private failed = false;
  private size = 0;

  constructor(
    private readonly store: StagingSeam,
    private readonly maxFileSize: number,
  ) {}

  get started(): boolean {
    return this.stream !== undefined;
  }

  start(): void {
    const stream = new PassThrough();
    // The staging promise reports a failure; a write after it must not be an unhandled 'error'.
    stream.on('error', () => {});
    this.stream = stream;
    this.staging = this.store.stage(stream);
    this.staging.catch(() => (this.failed = true));
  }

  write(bytes: Buffer): void {
    this.size += bytes.length;
    if (this.size > this.maxFileSize) throw new AppError('TOO_LARGE', fileTooLargeReason(this.maxFileSize));
    if (bytes.length > 0) this.stream!.write(bytes);
  }

  end(): void {
    this.stream!.end();
  }

  /** Resolves when the store can take more; rejects with the store's error once staging failed. */
  async flowing(): Promise<void> {
    if (this.failed) await this.staging;
    if (!this.stream?.writableNeedDrain) return;
    const drained = once(this.stream, 'drain');
    drained.catch(() => {});
    await Promise.race([drained, this.staging]);
  }

  /** The staged bytes once written (undefined when there was no file). */
  staged(): Promise<StagedBytes | undefined> {
    return this.staging ?? Promise.resolve(undefined);
  }

  /** Stops staging and removes whatever was staged. */
  async discard(): Promise<void> {
    if (!this.staging) return;
    this.stream!.destroy();
    const staged = await this.staging.catch(() => undefined);
    if (staged) await this.store.discard(staged);
  }
}
