import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ERRORS, Upload } from '@tus/utils';
import type { StagedBytes, StagingSeam } from '../../storage/byte-store.ts';
import { asStorageError } from '../../storage/no-space.ts';
import type { ChunkVerifier } from '../tus/chunk-verifier.ts';
import { holdRecord } from '../tus/request-context.ts';
import { RecordedDataStore } from '../tus/recorded-data-store.ts';
import type { ResumableDataStore } from '../tus/resumable-data-store.ts';
import { isPending, newRecord, type CompletionAnswer, type UploadRecord, type UploadRecords } from '../records/upload-records.ts';
import { removableRecord } from '../records/settled-record.ts';
import { STAGING_WRITE_BUFFER_BYTES } from '../../storage/staging/staging-write-buffer.ts';
import { freeWhenWritten, handOver } from '../../storage/staging/spent-buffers.ts';
import { EarlyFlush } from '../../storage/staging/early-flush.ts';
import { RunningHash, type RunHash } from '../../storage/staging/running-hash.ts';
import { DurableProgress } from './durable-progress.ts';

export interface UploadDataStoreOptions {
  expireAfterMs: number;
  /** fsync the bytes of each chunk before its offset counts. */
  fsync: boolean;
  /** Bytes that counted (received whole and verified). */
  onBytes?: (bytes: number) => void;
}

/**
 * @tus/server's DataStore over files any process of the host can read (UploadRecords): the offset
 * and metadata live in the record, the bytes beside it. Adds what @tus/file-store lacks: the
 * checksum extension (a chunk counts only when its `Upload-Checksum` matches; otherwise its bytes
 * are cut off again and the answer is 460) and an offset that only moves once the bytes are written.
 */
export class UploadDataStore extends RecordedDataStore<UploadRecord> implements ResumableDataStore {
  /** The sha256 of uploads whose every chunk counted in this process: the publish then skips re-reading the file. */
  private readonly sha256 = RunningHash.shared();

  constructor(
    readonly records: UploadRecords,
    private readonly options: UploadDataStoreOptions,
  ) {
    super();
  }

  override async create(upload: Upload): Promise<Upload> {
    const record = newRecord(upload);
    try {
      await fs.writeFile(this.records.dataPath(upload.id), '', { flag: 'wx' });
      await this.records.write(record);
    } catch (error) {
      throw asStorageError(error);
    }
    return this.created(upload, record);
  }

  protected storedRecord(id: string): Promise<UploadRecord | undefined> {
    return this.records.read(id);
  }

  protected async writeChunk(stream: Readable, record: UploadRecord, verifier: ChunkVerifier | undefined): Promise<number> {
    const { id, offset } = record;
    const dataPath = this.records.dataPath(id);
    const file = await fs.open(dataPath, 'r+');
    let position = offset;
    let sink: WriteStream | undefined;
    let counted: UploadRecord;
    let progress: DurableProgress | undefined;
    let hash: RunHash | undefined;
    try {
      // Bytes past the offset never counted: a chunk cut short with a checksum, or refused.
      await file.truncate(offset);
      hash = this.sha256.follow(id, dataPath, offset);
      // Its own descriptor: the writes overlap the reading and hashing of the next chunks
      // (staging-write-buffer.ts), and `file` stays for the truncate and the fsync.
      sink = freeWhenWritten(
        createWriteStream(dataPath, {
          flags: 'r+',
          start: offset,
          highWaterMark: STAGING_WRITE_BUFFER_BYTES,
        }),
      );
      // A write that fails while the loop awaits the request (or after the sink was destroyed on
      // a refusal) is kept here and thrown below, never left to reach the process as uncaught.
      sink.on('error', () => undefined);
      const fsync = this.options.fsync;
      // Without a checksum the bytes count as they arrive: the record follows them (a crash keeps them).
      progress = verifier
        ? undefined
        : new DurableProgress(sink, offset, fsync ? file : undefined, (upTo) => this.records.write({ ...record, offset: upTo }));
      const flusher = fsync && verifier ? new EarlyFlush(file) : undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        verifier?.update(chunk);
        position += chunk.length;
        // The verifier has taken what it needs: once on disk the chunk is spent
        // (and reads as empty), so nothing here looks at it after this write.
        if (sink.errored) throw sink.errored;
        if (!sink.write(wholeBuffer(chunk) ? handOver(chunk) : chunk, progress?.wrote)) await drained(sink);
        flusher?.wrote(position - offset);
      }
      sink.end();
      await finished(sink);
      await Promise.all([flusher?.settled(), progress?.settled()]);
      verifier?.verify(offset);
      counted = { ...record, offset: position };
      // The new record is written while the bytes flush, and replaces the old one once they are on disk.
      await this.records.write(counted, this.options.fsync ? file.sync() : undefined);
      hash.counted(position);
    } catch (error) {
      hash?.refused();
      // The writes in flight land first; then everything past what the record counts goes.
      if (sink && !sink.closed) await new Promise<void>((resolve) => sink!.destroy().once('close', () => resolve()));
      await progress?.settled();
      await file.truncate(progress?.recorded ?? offset);
      throw asStorageError(error);
    } finally {
      await file.close();
    }
    holdRecord(counted);
    this.options.onBytes?.(position - offset);
    return position;
  }

  async markCompleting(record: UploadRecord): Promise<void> {
    const completing: UploadRecord = { ...record, completing: true };
    await this.records.write(completing);
    holdRecord(completing);
  }

  /**
   * Moves a second name of the complete file (a hard link) into the byte store's staging, with its
   * sha256 when it was hashed as it arrived here: no copy, and the upload's own name stays until
   * settle(), so a crash during the publish (and the start-up sweep of staging) loses no byte.
   */
  async stageComplete(store: StagingSeam, upload: Upload): Promise<StagedBytes> {
    const digest = await this.sha256.digest(upload.id, upload.size ?? 0);
    const second = this.records.publishingPath(upload.id);
    try {
      await fs.rm(second, { force: true });
      await fs.link(this.records.dataPath(upload.id), second);
    } catch (error) {
      throw asStorageError(error);
    }
    return store.stageFile(second, digest?.sha256);
  }

  readBytes(record: UploadRecord): Readable {
    return createReadStream(this.records.dataPath(record.id));
  }

  async settle(record: UploadRecord, outcome: CompletionAnswer): Promise<void> {
    const { completing: _begun, ...rest } = record;
    const settled: UploadRecord = { ...rest, offset: record.size, outcome };
    await this.records.write(settled);
    holdRecord(settled);
    this.sha256.forget(record.id);
    await this.records.removeBytes(record.id);
  }

  async forget(id: string): Promise<void> {
    this.sha256.forget(id);
    await this.records.remove(id);
  }

  override async remove(id: string): Promise<void> {
    const found = await this.records.read(id);
    const record = found && (await removableRecord(found, () => this.records.read(id), this.completePending));
    this.sha256.forget(id);
    if (!record || !(await this.records.remove(id))) throw ERRORS.FILE_NOT_FOUND;
  }

  async pendingIds(): Promise<string[]> {
    const pending: string[] = [];
    for (const id of await this.records.ids()) {
      const record = await this.records.read(id).catch(() => undefined);
      if (record && isPending(record)) pending.push(id);
    }
    return pending;
  }

  override getExpiration(): number {
    return this.options.expireAfterMs;
  }

  /** Uploads created before `createdBefore` (incomplete ones; a complete one left by a crash too). */
  async expiredIds(createdBefore: number): Promise<string[]> {
    const expired: string[] = [];
    for (const id of await this.records.ids()) if (await this.isExpired(id, createdBefore)) expired.push(id);
    return expired;
  }

  async removeIfExpired(id: string, createdBefore: number): Promise<boolean> {
    if (!(await this.isExpired(id, createdBefore))) return false;
    this.sha256.forget(id);
    return this.records.remove(id);
  }

  async close(): Promise<void> {
    await this.sha256.close();
  }

  private async isExpired(id: string, createdBefore: number): Promise<boolean> {
    const record = await this.records.read(id).catch(() => undefined);
    return record !== undefined && Date.parse(record.creationDate) < createdBefore;
  }
}

/** A request chunk that is its whole ArrayBuffer (the HTTP parser's own copy), shared with nothing else. */
function wholeBuffer(chunk: Buffer): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
}

/** Waits for `sink` to take more; its error if it has failed (a failed sink never drains). */
async function drained(sink: WriteStream): Promise<void> {
  if (sink.errored) throw sink.errored;
  if (sink.destroyed) throw new Error('the upload file closed before the chunk was written');
  await once(sink, 'drain');
}
