import type { Readable } from 'node:stream';
import { DataStore, ERRORS, type Upload } from '@tus/utils';
import { settledRecord } from '../records/settled-record.ts';
import { uploadOf, type UploadRecord } from '../records/upload-records.ts';
import { ChunkVerifier } from './chunk-verifier.ts';
import { holdRecord, recordInRequest } from './request-context.ts';
import { TUS_EXTENSIONS } from './resumable-data-store.ts';

/**
 * What both resumable stores share: the tus extensions they serve, and an upload read through its
 * record, once per request, with a pending completion finished first (settled-record.ts). Each
 * store says only where its records are (`storedRecord`).
 */
export abstract class RecordedDataStore<R extends UploadRecord> extends DataStore {
  completePending?: (id: string) => Promise<unknown>;

  constructor() {
    super();
    this.extensions = TUS_EXTENSIONS;
  }

  /** The record as the store keeps it; undefined when there is none. */
  protected abstract storedRecord(id: string): Promise<R | undefined>;

  override async getUpload(id: string): Promise<Upload> {
    return uploadOf(await settledRecord(await this.mustRead(id), () => this.readRecord(id), this.completePending));
  }

  /** The record as stored now (never the request's copy). */
  async readRecord(id: string): Promise<R | undefined> {
    const record = await this.storedRecord(id);
    if (record) holdRecord(record);
    return record;
  }

  /** The upload as created, its record held for the rest of the request. */
  protected created(upload: Upload, record: R): Upload {
    holdRecord(record);
    upload.creation_date = record.creationDate;
    return upload;
  }

  /**
   * A PATCH's bytes at `offset`: tus's 409 when the upload's offset is another; a complete upload
   * is never written again (its bytes may already be the published file's). Answers the new offset.
   */
  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const record = await this.mustRead(id);
    if (record.offset !== offset) throw ERRORS.INVALID_OFFSET;
    if (record.offset === record.size) return offset;
    return this.writeChunk(stream, record, ChunkVerifier.forRequest());
  }

  /** Writes a chunk at the record's offset; it counts only when `verifier` (the request's Upload-Checksum) agrees. */
  protected abstract writeChunk(stream: Readable, record: R, verifier: ChunkVerifier | undefined): Promise<number>;

  /** The request's record of `id`, read once; tus's 404 when there is none. */
  protected async mustRead(id: string): Promise<R> {
    const record = await recordInRequest(id, () => this.storedRecord(id));
    if (!record) throw ERRORS.FILE_NOT_FOUND;
    return record;
  }
}
