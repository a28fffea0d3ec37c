import type { Logger } from 'pino';
import { extensionOf } from '../filename-extension.ts';
import type { ByteStore, ObjectKey, OpenedObject, StoredObject } from '../storage/byte-store.ts';
import { AnalysisPool } from './analysis-pool.ts';
import { AnalysisQueue } from './analysis-queue.ts';
import { statusOf, type AnalysisRecord, type AnalysisStatus } from './analysis-record.ts';
import type { AnalysisResults } from './analysis-results.ts';
import type { AnalysisConfig } from './config.ts';
import { STORED_READ_FAILED } from './port-chunks.ts';
import { storedInput, type StoredInput } from './stored-input.ts';
import { walkStore } from './store-walk.ts';
import { faultPoint } from '../fault-points.ts';

/** The extensions analysis can decode. */
const ANALYSABLE = new Set(['.mp3', '.wav']);

/**
 * Waveform peaks and loudness of every stored .mp3 and .wav, computed after the file is stored,
 * off the answer's path: files queue here and are decoded in the analysis pool, below the
 * uploads' priority. At start (and after the queue overflowed) the store is scanned for files
 * without a result, so a file stored just before a crash is analysed after the restart. A file
 * that fails gets a failed record with the reason, once: it is not tried again for those bytes.
 */
export class AudioAnalysis {
  private readonly queue: AnalysisQueue;
  private readonly pool: AnalysisPool;
  private closed = false;

  constructor(
    private readonly config: AnalysisConfig,
    private readonly store: ByteStore,
    readonly results: AnalysisResults,
    private readonly logger: Logger,
    /** Stored files are read as streams from the store (S3), not from a path a worker opens. */
    private readonly streamed = false,
  ) {
    this.pool = new AnalysisPool(config.concurrency, (err) => logger.error({ err }, 'analysis thread failed outside a task'));
    this.queue = new AnalysisQueue(
      config,
      (key) => this.analyse(key),
      () => this.scan(),
    );
  }

  /** Whether files of this name are analysed at all. */
  analysable(key: ObjectKey): boolean {
    return ANALYSABLE.has(extensionOf(key.name));
  }

  /** Queues a file just stored. */
  enqueue(key: ObjectKey): void {
    if (this.analysable(key)) this.queue.add(key);
  }

  /**
   * Drops the results of a file removed. The removal stands whatever happens here: results that
   * could not be dropped are stale (they name other bytes) and only take space.
   */
  async forget(key: ObjectKey): Promise<void> {
    if (!this.analysable(key)) return;
    await this.results.remove(key).catch((err: unknown) => this.logger.warn({ err, file: pathOf(key) }, 'analysis results not removed'));
  }

  /**
   * The `analysis` (and `loudness`) fields of a file's metadata; undefined for files not analysed.
   * A result that cannot be read right now (the bucket failing) reads as pending: the file's own
   * answer does not fail for it.
   */
  async status(key: ObjectKey, sha256: string): Promise<AnalysisStatus | undefined> {
    if (!this.analysable(key)) return undefined;
    const record = await this.results.record(key).catch((err: unknown) => {
      this.logger.warn({ err, file: pathOf(key) }, 'analysis result not readable');
      return undefined;
    });
    return statusOf(record, sha256);
  }

  /** Queues every stored file that has no result for its current bytes (in the background). */
  scan(): void {
    void (async () => {
      for await (const object of walkStore(this.store)) {
        if (this.closed) return;
        if (!this.analysable(object.key)) continue;
        const record = await this.results.record(object.key);
        if (record?.sha256 !== object.sha256) this.queue.add(object.key);
      }
    })().catch((err: unknown) => this.logger.warn({ err }, 'analysis scan failed'));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.stop();
    await this.pool.close();
    this.results.close?.();
  }

  private async analyse(key: ObjectKey): Promise<void> {
    try {
      // Streamed, the object is opened (one lookup, its bytes pinned to the version described).
      const object = this.streamed ? await this.store.open(key) : await this.store.head(key);
      if (!object) return;
      if ((await this.results.record(key))?.sha256 === object.sha256) return void (await release(object));
      const input = await storedInput(this.store, object);
      if (!input) return;
      let record: AnalysisRecord | undefined;
      let peaksFile: string;
      try {
        await faultPoint('analysis');
        peaksFile = await this.results.workFile();
        record = await this.recordOf(key, object.sha256, input, peaksFile);
      } finally {
        input.done();
      }
      // Stopped by a shutdown: no result, so the next start analyses the file again.
      if (!record) return;
      await this.results.save(key, record, record.state === 'done' ? peaksFile : undefined);
      // Removed or replaced while it was analysed: the results go with the bytes they describe.
      const now = await this.store.head(key);
      if (now?.sha256 !== object.sha256) {
        await this.results.remove(key);
        if (now) this.queue.add(key);
        // A failure to read bytes that are gone is no failure of the file's analysis: nothing to say.
        return;
      }
      if (record.state === 'failed') this.logger.info({ file: pathOf(key), reason: record.reason }, 'audio analysis failed');
    } catch (err) {
      if (!this.closed) this.logger.warn({ err, file: pathOf(key) }, 'audio analysis could not run');
    }
  }

  /** The analysis of one file's bytes as its record; undefined when a shutdown cut it. */
  private async recordOf(key: ObjectKey, sha256: string, input: StoredInput, peaksFile: string): Promise<AnalysisRecord | undefined> {
    try {
      const task = { source: input.source, extension: extensionOf(key.name), peaksFile, samplesPerPixel: this.config.samplesPerPixel };
      const outcome = await this.pool.run(task, input.transfer);
      if (!outcome.ok) return { state: 'failed', sha256, reason: outcome.reason };
      const { durationSeconds, sampleRate, channels, loudness } = outcome;
      return { state: 'done', sha256, durationSeconds, sampleRate, channels, loudness };
    } catch (error) {
      if (this.closed) return undefined;
      // The bucket stopped sending: no fault of the file's, so no result; the next scan tries again.
      if ((error as Error).message.includes(STORED_READ_FAILED)) throw error;
      return { state: 'failed', sha256, reason: `analysis failed: ${(error as Error).message}` };
    }
  }
}

const pathOf = (key: ObjectKey) => `${key.directory}/${key.name}`;

/** Lets go of an object opened and not read. */
const release = async (object: StoredObject | OpenedObject) => ('release' in object ? object.release?.() : undefined);
